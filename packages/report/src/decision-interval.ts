/** The interval the decision rests on: Newcombe's score interval, or the clustered Wald interval. */
export type IntervalName = 'score' | 'wald_clustered';

/** The 95% interval of the paired pass-rate difference that decides, and in words why it is that one. */
export interface DecidingInterval {
  ci: [number, number] | null;
  /** Null when there is no interval to decide by. */
  name: IntervalName | null;
  /** One phrase naming the interval (and, for a clustered design, the one it was wider than). */
  label: string;
}

const width = ([low, high]: readonly [number, number]) => high - low;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;
const shown = (ci: readonly [number, number]) => `[${pts(ci[0])}, ${pts(ci[1])}]`;

/**
 * Which 95% interval of the paired pass-rate difference decides the outcome and the ship rule.
 *
 * - One sample per task: Newcombe's hybrid score interval (`score`, see `newcombePaired`). The Wald
 *   interval (sd of the per-pair differences / √n) has no width when no pair flips and almost none when
 *   few do, so it would "rule out" drops that n pairs cannot rule out.
 * - Several samples per task: the wider of the score interval, which treats every pair as independent,
 *   and the clustered Wald interval (`wald_clustered`), which accounts for samples of one task agreeing
 *   but inherits the Wald interval's narrowness with few flips; a tie goes to the score interval. With
 *   fewer than two tasks there is no clustered interval and nothing decides (`name` null).
 */
export function decidingInterval(
  score: [number, number] | null,
  wald: [number, number] | null,
  clustered: boolean,
): DecidingInterval {
  if (!clustered || score === null) {
    return { ci: score, name: score === null ? null : 'score', label: 'score interval (Newcombe)' };
  }
  if (wald === null) return { ci: null, name: null, label: 'clustered Wald interval' };
  if (width(wald) > width(score)) {
    return {
      ci: wald,
      name: 'wald_clustered',
      label: `clustered Wald interval (wider than the score interval ${shown(score)})`,
    };
  }
  return {
    ci: score,
    name: 'score',
    label: `score interval (Newcombe; at least as wide as the clustered Wald interval ${shown(wald)})`,
  };
}
