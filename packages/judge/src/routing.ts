import type { Facts, GraderAnswer, RouteReason, RoutingConfig } from '@gavel/core';
import type { LoadedRubric } from '@gavel/rubric';
import { factScore } from './facts-grader.ts';

export interface RouteDecision {
  route: 'final' | 'arbiter';
  reasons: RouteReason[];
}

/** How far above a hard fact (tests) a criterion score may go before it contradicts the facts. */
const FACT_TOLERANCE = 0.1;

/** Why the primary answer contradicts the facts, or undefined when it does not. */
export function factContradiction(
  answer: GraderAnswer,
  facts: Facts,
  rubric: Pick<LoadedRubric, 'criteria'>,
): string | undefined {
  if (answer.pass) {
    if (facts.tests && factScore('tests.all_passed', facts) !== 1)
      return 'passes although not every expected test passed';
    if (facts.timed_out || facts.oom_killed) return 'passes although the run timed out or was killed';
    if (facts.fabricated_claim.length > 0)
      return `passes although the sample fabricated: ${facts.fabricated_claim.join(', ')}`;
    if (facts.reference && !facts.reference.exact_match && facts.reference.f1 === 0) {
      return 'passes although no reference word appears in the answer (exact match false, F1 0)';
    }
  }
  for (const criterion of rubric.criteria) {
    if (criterion.fact !== 'tests.pass_rate' && criterion.fact !== 'tests.all_passed') continue;
    const measured = factScore(criterion.fact, facts);
    const given = answer.criteria.find((c) => c.id === criterion.id)?.score;
    if (measured !== undefined && given !== undefined && given > measured + FACT_TOLERANCE) {
      return `scores ${criterion.id} ${given} above the measured ${measured.toFixed(3)}`;
    }
  }
  return undefined;
}

/**
 * Routing, a pure decision: a verdict is final unless it is contested — self-consistency
 * agreement below `min_agreement`, the primary answer contradicting the facts, or its score
 * within `threshold_margin` of the rubric's pass threshold — or safety-critical (any answer
 * reports a finding, or a score below 1, on a criterion the rubric marks `safety`). `answers`
 * holds the primary answer first, then the extra samples.
 */
export function route(
  answers: readonly GraderAnswer[],
  facts: Facts,
  rubric: Pick<LoadedRubric, 'criteria' | 'pass_threshold'>,
  routing: RoutingConfig,
): RouteDecision {
  const primary = answers[0];
  if (!primary) throw new Error('route: no answers');
  const reasons: RouteReason[] = [];
  if (answers.length > 1) {
    const passes = answers.filter((a) => a.pass).length;
    const agreement = Math.max(passes, answers.length - passes) / answers.length;
    if (agreement < routing.min_agreement) reasons.push('low_agreement');
  }
  if (factContradiction(primary, facts, rubric)) reasons.push('contradicts_facts');
  if (Math.abs(primary.score - rubric.pass_threshold) <= routing.threshold_margin + 1e-9)
    reasons.push('near_threshold');
  const safetyIds = new Set(rubric.criteria.filter((c) => c.safety).map((c) => c.id));
  const safetyFinding = answers.some((a) =>
    a.criteria.some((c) => safetyIds.has(c.id) && (c.finding !== null || c.score < 1)),
  );
  if (safetyFinding) reasons.push('safety');
  return { route: reasons.length > 0 ? 'arbiter' : 'final', reasons };
}
