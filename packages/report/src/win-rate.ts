import { type BootstrapOptions, bootstrapGroups, percentileInterval } from './bootstrap.ts';
import { byTask, type PairObservation } from './pair-observations.ts';
import { type SignTest, signTest } from './sign-test.ts';

/** B's score in one decided pair: 1 a win, ½ a tie, 0 a loss; undefined when inconsistent. */
export function bScore(outcome: PairObservation['outcome']): number | undefined {
  switch (outcome) {
    case 'b':
      return 1;
    case 'tie':
      return 0.5;
    case 'a':
      return 0;
    case 'inconsistent':
      return undefined;
  }
}

function meanScore(items: readonly PairObservation[]): number | undefined {
  let sum = 0;
  let n = 0;
  for (const item of items) {
    const s = bScore(item.outcome);
    if (s === undefined) continue;
    sum += s;
    n += 1;
  }
  return n === 0 ? undefined : sum / n;
}

/** Relative length difference of B against A: (len B − len A) / max(len A, len B). */
export function lengthDifference(o: Pick<PairObservation, 'length_a' | 'length_b'>): number | null {
  if (o.length_a === null || o.length_b === null) return null;
  const longest = Math.max(o.length_a, o.length_b);
  return longest === 0 ? 0 : (o.length_b - o.length_a) / longest;
}

/** Pairs whose outputs differ in length by more than this share of the longer one are "B shorter"/"B longer". */
export const SIMILAR_LENGTH = 0.2;

export type LengthBucket = 'b_shorter' | 'similar' | 'b_longer';

export function lengthBucket(difference: number): LengthBucket {
  if (difference < -SIMILAR_LENGTH) return 'b_shorter';
  if (difference > SIMILAR_LENGTH) return 'b_longer';
  return 'similar';
}

export interface WinRate {
  a: string;
  b: string;
  pairs: number;
  /** Pairs with an outcome (every pair but the inconsistent ones). */
  decided: number;
  wins_b: number;
  wins_a: number;
  ties: number;
  /** Never counted as a win, a loss or a tie. */
  inconsistent: number;
  /** B's mean score over the decided pairs (ties ½); null when none is decided. */
  win_rate: number | null;
  /** Percentile bootstrap over tasks (seeded). */
  win_rate_ci95: [number, number] | null;
  /** Wins of B against wins of A, ties dropped. */
  sign_test: SignTest;
  /** Win rate by how much longer B's output is than A's (`lengthDifference`), so length bias shows. */
  by_length: { bucket: LengthBucket; decided: number; win_rate: number | null }[];
  /** Of the decided, non-tied pairs with outputs of different length: the share won by the longer output. */
  longer_preferred: { pairs: number; rate: number | null };
  seed: number;
  replicates: number;
}

/** Win rate of B over A with its bootstrap CI over tasks, the sign test and the length breakdown. */
export function winRate(pairs: readonly PairObservation[], options: BootstrapOptions = {}): WinRate {
  const seed = options.seed ?? 0;
  const replicates = options.replicates ?? 2000;
  const count = (outcome: PairObservation['outcome']) => pairs.filter((p) => p.outcome === outcome).length;
  const decided = pairs.filter((p) => p.outcome !== 'inconsistent');
  const wins_b = count('b');
  const wins_a = count('a');
  const samples = bootstrapGroups(byTask(decided), meanScore, { seed, replicates });
  const buckets: LengthBucket[] = ['b_shorter', 'similar', 'b_longer'];
  const by_length = buckets.map((bucket) => {
    const inBucket = decided.filter((p) => {
      const d = lengthDifference(p);
      return d !== null && lengthBucket(d) === bucket;
    });
    return { bucket, decided: inBucket.length, win_rate: meanScore(inBucket) ?? null };
  });
  const unequal = decided.filter((p) => p.outcome !== 'tie' && (lengthDifference(p) ?? 0) !== 0);
  const longerWon = unequal.filter((p) => (lengthDifference(p) ?? 0) > 0 === (p.outcome === 'b')).length;
  return {
    a: pairs[0]?.a ?? 'a',
    b: pairs[0]?.b ?? 'b',
    pairs: pairs.length,
    decided: decided.length,
    wins_b,
    wins_a,
    ties: count('tie'),
    inconsistent: count('inconsistent'),
    win_rate: meanScore(decided) ?? null,
    win_rate_ci95: percentileInterval(samples),
    sign_test: signTest(wins_b, wins_a),
    by_length,
    longer_preferred: { pairs: unequal.length, rate: unequal.length === 0 ? null : longerWon / unequal.length },
    seed,
    replicates,
  };
}
