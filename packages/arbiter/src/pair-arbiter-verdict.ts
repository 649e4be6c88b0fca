import type { ArbiterPairOrder, Verdict } from '@gavel/core';
import { agreedOutcome, B_SHARE, type LoadedRubric, pairCriteria } from '@gavel/rubric';
import type { ArbiterProvenance } from './arbiter-verdict.ts';

const said = (o: ArbiterPairOrder) =>
  `${o.first.toUpperCase()} shown first (preferred ${o.preference}, margin ${o.margin.toFixed(2)})`;

/**
 * The final verdict of a pair the arbiter was asked in both orders (A first, then B first, each
 * mapped back to sides): the outcome they agree on, else `inconsistent` — the arbiter's own
 * position bias, recorded with both answers and never counted as a win (`pass` false, B's share ½
 * for a pure position flip). The judge's two orders and verdict are kept beside it.
 */
export function pairArbiterVerdict(
  judgement: Verdict,
  orders: [ArbiterPairOrder, ArbiterPairOrder],
  rubric: Pick<LoadedRubric, 'criteria'>,
  provenance: ArbiterProvenance,
  usage: NonNullable<Verdict['usage']>,
  decidedAt: string,
): Verdict {
  const [aFirst, bFirst] = orders;
  const outcome = agreedOutcome(aFirst.preference, bFirst.preference);
  const consistent = outcome !== 'inconsistent';
  const criteria = pairCriteria(rubric.criteria, aFirst, bFirst);
  const judged = judgement.pairwise;
  return {
    pass: outcome === 'b',
    score: (B_SHARE[aFirst.preference] + B_SHARE[bFirst.preference]) / 2,
    rationale: [
      `Arbiter, both orders: ${consistent ? `outcome ${outcome}` : 'inconsistent (its two orders disagree; not a win)'}.`,
      `${said(aFirst)}: ${aFirst.rationale}`,
      `${said(bFirst)}: ${bFirst.rationale}`,
    ].join('\n'),
    criteria: criteria.map(({ id, score, finding }) => ({ id, score, finding })),
    source: 'arbiter',
    facts_only: false,
    route: 'arbiter',
    route_reasons: judgement.route_reasons,
    arbitration: 'done',
    flags: consistent ? judgement.flags : [...judgement.flags, 'arbiter_position_inconsistent'],
    grader: judgement.grader,
    consistency: judgement.consistency,
    arbiter: provenance,
    judge_verdict: { pass: judgement.pass, score: judgement.score, rationale: judgement.rationale },
    usage,
    ...(judged
      ? {
          pairwise: {
            ...judged,
            outcome,
            criteria: criteria.map(({ id, outcome: o }) => ({ id, outcome: o })),
            decided_by: 'arbiter' as const,
            arbiter_orders: orders,
            arbiter_consistent: consistent,
          },
        }
      : {}),
    decided_at: decidedAt,
  };
}
