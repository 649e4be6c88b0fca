import type { PairOrderJudgement, PairOutcome, PairwiseVerdict, RouteReason, RoutingConfig } from '@gavel/core';
import { agreedOutcome, B_SHARE, type LoadedRubric, orderJudgement, pairCriteria, sideOf } from '@gavel/rubric';

/** Used when a run's manifest predates `routing.pair_min_margin`. */
export const DEFAULT_PAIR_MIN_MARGIN = 0.2;

// One copy for the judge and the arbiter: the order mapping lives with the pairwise answer schema.
export { agreedOutcome, orderJudgement, sideOf };

export interface PairDecision {
  pairwise: PairwiseVerdict;
  /** B's share over both orders (1 B, ½ tie, 0 A): a pair verdict's `score`. */
  score: number;
  /** Per criterion, B's share over both orders and the findings of both orders. */
  criteria: { id: string; score: number; finding: string | null }[];
  route: 'final' | 'arbiter';
  reasons: RouteReason[];
}

/**
 * A pure decision over a pair's two judgements (A first, then B first): the outcome both orders
 * agree on, else `inconsistent`; the per-criterion outcomes likewise; the mean margin. Contested,
 * so routed to the arbiter: an inconsistent pair (`position_inconsistent`), a consistent preference
 * for a side whose mean margin is below `pair_min_margin` (`low_margin`), and a finding on a
 * criterion the rubric marks `safety` in either order (`safety`). A consistent tie is final.
 */
export function decidePair(
  aFirst: PairOrderJudgement,
  bFirst: PairOrderJudgement,
  rubric: Pick<LoadedRubric, 'criteria'>,
  routing: Pick<RoutingConfig, 'pair_min_margin'>,
): PairDecision {
  const outcome = agreedOutcome(aFirst.preference, bFirst.preference);
  const consistent = outcome !== 'inconsistent';
  const margin = consistent ? (aFirst.margin + bFirst.margin) / 2 : 0;
  const criteria = pairCriteria(rubric.criteria, aFirst, bFirst);
  const reasons: RouteReason[] = [];
  if (!consistent) reasons.push('position_inconsistent');
  const minMargin = routing.pair_min_margin ?? DEFAULT_PAIR_MIN_MARGIN;
  if (consistent && outcome !== 'tie' && margin < minMargin - 1e-9) reasons.push('low_margin');
  const safetyIds = new Set(rubric.criteria.filter((c) => c.safety).map((c) => c.id));
  if ([aFirst, bFirst].some((o) => o.criteria.some((c) => safetyIds.has(c.id) && c.finding !== null)))
    reasons.push('safety');
  return {
    pairwise: {
      outcome,
      orders: [aFirst, bFirst],
      consistent,
      margin,
      criteria: criteria.map(({ id, outcome: o }) => ({ id, outcome: o })),
      decided_by: 'judge',
    },
    score: (B_SHARE[aFirst.preference] + B_SHARE[bFirst.preference]) / 2,
    criteria: criteria.map(({ id, score, finding }) => ({ id, score, finding })),
    route: reasons.length > 0 ? 'arbiter' : 'final',
    reasons,
  };
}

/** Both orders' rationales, labelled, as a pair verdict's `rationale`. */
export function pairRationale(aFirst: PairOrderJudgement, bFirst: PairOrderJudgement, outcome: PairOutcome): string {
  return [
    `Outcome: ${outcome}.`,
    `A shown first (preferred ${aFirst.preference}, margin ${aFirst.margin.toFixed(2)}): ${aFirst.rationale}`,
    `B shown first (preferred ${bFirst.preference}, margin ${bFirst.margin.toFixed(2)}): ${bFirst.rationale}`,
  ].join('\n');
}
