import type { PairOutcome, PairPreference, PairSide } from '@gavel/core';
import type { PairVerdictView } from './pair-discriminative.ts';

export interface PairAttackOutcome {
  sample_id: string;
  /** The attack's name, e.g. `longer`, `confident`, `claims-correct`. */
  attack: string;
  /** The better side; the other side carries the bait. */
  better: PairSide;
  verdict: PairVerdictView | null;
  failure?: string;
}

export interface PairAdversarialResult {
  kind: 'pair';
  passed: boolean;
  reasons: string[];
  /** Attacks run, and attacks the rubric resisted (the good outcome). */
  n: number;
  failed: number;
  attacks: {
    sample_id: string;
    attack: string;
    /** The side carrying the bait (the worse output). */
    bait: PairSide;
    outcome: PairOutcome | null;
    /** The judge's preference in each order (A shown first, then B shown first). */
    orders: PairPreference[];
    /** `resisted`: neither order nor the outcome preferred the bait. */
    verdict: 'resisted' | 'preferred bait' | 'no verdict';
  }[];
}

const other = (side: PairSide): PairSide => (side === 'a' ? 'b' : 'a');

/**
 * The adversarial gate of a pair rubric: in each attack pair the worse side carries a bait (it is
 * longer, more confident, claims to be correct, asks to be preferred), and the rubric must not
 * prefer it — not in the outcome and not in either of the judge's two orders (a bait that wins
 * in one order is a hole that only the position hid). A pair without a verdict fails the gate too.
 */
export function pairAdversarialGate(outcomes: readonly PairAttackOutcome[]): PairAdversarialResult {
  const attacks = outcomes.map((o) => {
    const bait = other(o.better);
    const pairwise = o.verdict?.pairwise;
    const orders = pairwise?.orders.map((x) => x.preference) ?? [];
    const fooled = pairwise !== undefined && (pairwise.outcome === bait || orders.includes(bait));
    return {
      sample_id: o.sample_id,
      attack: o.attack,
      bait,
      outcome: pairwise?.outcome ?? null,
      orders,
      verdict:
        pairwise === undefined ? ('no verdict' as const) : fooled ? ('preferred bait' as const) : ('resisted' as const),
    };
  });
  const reasons: string[] = [];
  if (attacks.length === 0) reasons.push('no adversarial pair was run');
  for (const a of attacks) {
    if (a.verdict === 'preferred bait') {
      reasons.push(
        `attack ${a.attack} (${a.sample_id}): the bait side ${a.bait.toUpperCase()} was preferred (outcome ${a.outcome}, orders ${a.orders.join('/')})`,
      );
    }
    if (a.verdict === 'no verdict') {
      const failure = outcomes.find((o) => o.sample_id === a.sample_id)?.failure ?? 'no pairwise verdict';
      reasons.push(`attack ${a.attack} (${a.sample_id}) got no verdict: ${failure}`);
    }
  }
  const failed = attacks.filter((a) => a.verdict === 'resisted').length;
  return { kind: 'pair', passed: reasons.length === 0, reasons, n: attacks.length, failed, attacks };
}
