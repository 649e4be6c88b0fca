import type { Facts, GraderAnswer, RouteReason, RoutingConfig, Verdict } from '@gavel/core';
import { decidePair, gradeFromFacts, route } from '@gavel/judge';
import { diffReasons, diffVerdict, type ExportRecord, type Mismatch } from '@gavel/report';
import type { LoadedRubric } from '@gavel/rubric';

/**
 * A facts-only sample's verdict re-derived from its recorded facts and the pinned rubric, field by
 * field against both records of it (the judgement and the final verdict, which a facts-only judge
 * writes together). A sample without a verdict (failed, pending) has nothing to re-derive.
 */
export function checkFactsOnlyVerdict(record: ExportRecord, rubric: LoadedRubric): Mismatch[] {
  const id = record.sample_id;
  const subject = `sample ${id}`;
  const recorded = [
    ['verdict', record.verdict],
    ['judgement', record.judge_verdict],
  ] as const;
  if (!record.verdict) return [];
  if (!record.facts) {
    return [{ subject, sample_id: id, field: 'facts', recorded: null, rederived: 'no verdict without facts' }];
  }
  let rederived: Verdict;
  try {
    rederived = gradeFromFacts(record.facts, rubric);
  } catch (error) {
    return [
      {
        subject,
        sample_id: id,
        field: 'verdict',
        recorded: { pass: record.verdict.pass, score: record.verdict.score },
        rederived: `no verdict (${(error as Error).message})`,
      },
    ];
  }
  return recorded.flatMap(([prefix, verdict]) => (verdict ? diffVerdict(id, prefix, verdict, rederived) : []));
}

/** What routing re-derives from a recorded judgement. */
export interface RederivedRoute {
  route: 'final' | 'arbiter';
  reasons: RouteReason[];
  /**
   * The judgement was routed for `safety` and its recorded primary answer has no safety finding: an
   * extra self-consistency answer (which the run does not record) may have had one, so that reason
   * cannot be re-derived and is taken as recorded.
   */
  safetyFromExtraAnswers: boolean;
}

/**
 * Routing re-derived from a recorded judgement: the library's `route` over the recorded primary
 * answer (facts contradiction, near the threshold, a safety finding) with the manifest's thresholds,
 * and low agreement from the recorded self-consistency summary (the extra answers themselves are not
 * recorded; their agreement is).
 */
export function rederiveRoute(
  judgement: Verdict,
  facts: Facts,
  rubric: LoadedRubric,
  routing: RoutingConfig,
): RederivedRoute {
  if (judgement.pairwise) {
    // A pair: both recorded orders decide it again (outcome, margin, routing).
    const [aFirst, bFirst] = judgement.pairwise.orders;
    const again = decidePair(aFirst, bFirst, rubric, routing);
    return { route: again.route, reasons: again.reasons, safetyFromExtraAnswers: false };
  }
  const primary: GraderAnswer = {
    pass: judgement.pass,
    score: judgement.score,
    criteria: judgement.criteria,
    rationale: judgement.rationale,
  };
  const reasons = route([primary], facts, rubric, routing).reasons;
  const c = judgement.consistency;
  if (c && c.samples > 1 && c.agreement < routing.min_agreement) reasons.unshift('low_agreement');
  const safetyFromExtraAnswers =
    judgement.route_reasons.includes('safety') && !reasons.includes('safety') && (c?.k ?? 0) > 0;
  if (safetyFromExtraAnswers) reasons.push('safety');
  return { route: reasons.length > 0 ? 'arbiter' : 'final', reasons, safetyFromExtraAnswers };
}

/**
 * An LLM-judged sample's routing decision re-derived from its recorded judgement and facts, against
 * the recorded route and reasons; a judgement that stays final must be the final verdict (its pass
 * and score, route final).
 */
export function checkRouting(
  record: ExportRecord,
  rubric: LoadedRubric,
  routing: RoutingConfig,
): { mismatches: Mismatch[]; rederived: boolean; safetyFromExtraAnswers: boolean } {
  const id = record.sample_id;
  const subject = `sample ${id}`;
  const judgement = record.judge_verdict;
  if (!record.verdict && !judgement) return { mismatches: [], rederived: false, safetyFromExtraAnswers: false };
  if (!judgement) {
    return {
      mismatches: [
        { subject, sample_id: id, field: 'judgement', recorded: null, rederived: 'a verdict needs a judgement' },
      ],
      rederived: false,
      safetyFromExtraAnswers: false,
    };
  }
  if (!record.facts) {
    return {
      mismatches: [{ subject, sample_id: id, field: 'facts', recorded: null, rederived: 'no judgement without facts' }],
      rederived: false,
      safetyFromExtraAnswers: false,
    };
  }
  const again = rederiveRoute(judgement, record.facts, rubric, routing);
  const mismatches: Mismatch[] = [];
  if (judgement.route !== again.route) {
    mismatches.push({
      subject,
      sample_id: id,
      field: 'judgement.route',
      recorded: judgement.route,
      rederived: again.route,
    });
  }
  mismatches.push(...diffReasons(id, 'judgement', judgement.route_reasons, again.reasons));
  const verdict = record.verdict;
  if (verdict && again.route === 'final') {
    const expected = { pass: judgement.pass, score: judgement.score, route: again.route };
    for (const key of ['pass', 'score', 'route'] as const) {
      if (verdict[key] !== expected[key]) {
        mismatches.push({
          subject,
          sample_id: id,
          field: `verdict.${key}`,
          recorded: verdict[key],
          rederived: expected[key],
        });
      }
    }
  }
  return { mismatches, rederived: true, safetyFromExtraAnswers: again.safetyFromExtraAnswers };
}
