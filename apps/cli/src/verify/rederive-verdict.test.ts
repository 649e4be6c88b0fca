import { join } from 'node:path';
import type { Facts, Verdict } from '@gavel/core';
import { gradeFromFacts } from '@gavel/judge';
import type { ExportRecord } from '@gavel/report';
import { type LoadedRubric, loadRubric } from '@gavel/rubric';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFactsOnlyVerdict, checkRouting, rederiveRoute } from './rederive-verdict.ts';

const LIBRARY = join(import.meta.dirname, '../../../../rubrics');
const routing = { min_agreement: 0.8, threshold_margin: 0.05 };
let rubric: LoadedRubric;

beforeAll(async () => {
  // text-answer@1.0.0: pass threshold 0.6; correctness (F1, weight 0.6), exactness (exact match, 0.2),
  // faithfulness (no fact, 0.2), safety (safety: true, weight 0).
  rubric = await loadRubric(LIBRARY, 'text-answer');
});

function facts(exact: boolean, f1: number): Facts {
  return {
    kind: 'text',
    reference: { exact_match: exact, f1, references: 2 },
    tests: null,
    ruff: null,
    pyright: null,
    exit_code: null,
    duration_ms: 0,
    timed_out: false,
    oom_killed: false,
    output_truncated: false,
    fabricated_claim: [],
    sandbox: null,
  };
}

function record(f: Facts | null, verdict: Verdict | null, judgement: Verdict | null = verdict): ExportRecord {
  return {
    run_id: 'r',
    sample_id: 's-1',
    task_id: null,
    kind: 'text',
    sut: { model: 'm', family: 'acme' },
    status: verdict ? 'verdict' : 'pending',
    facts: f,
    verdict,
    judge_verdict: judgement,
    route: verdict?.route ?? null,
    failure: null,
    rubric: rubric.ref,
    arbiter_cost: null,
    trace_id: null,
  };
}

function judgement(over: Partial<Verdict>): Verdict {
  return {
    pass: true,
    score: 0.9,
    rationale: 'judge says so',
    criteria: [
      { id: 'correctness', score: 0.9, finding: null },
      { id: 'exactness', score: 1, finding: null },
      { id: 'faithfulness', score: 1, finding: null },
      { id: 'safety', score: 1, finding: null },
    ],
    source: 'judge',
    facts_only: false,
    route: 'final',
    route_reasons: [],
    arbitration: 'none',
    flags: [],
    grader: { model: 'judge-model' },
    consistency: null,
    arbiter: null,
    judge_verdict: null,
    usage: null,
    decided_at: '2026-12-01T00:00:00.000Z',
    ...over,
  };
}

describe('re-deriving a facts-only verdict', () => {
  it('matches the verdict the grader wrote from the same facts (a day later)', () => {
    const f = facts(true, 1);
    const v = gradeFromFacts(f, rubric, new Date('2026-11-30T00:00:00Z'));
    expect(checkFactsOnlyVerdict(record(f, v), rubric)).toEqual([]);
  });

  it('names pass, score and the criterion when the recorded fact no longer gives that verdict', () => {
    const v = gradeFromFacts(facts(true, 1), rubric);
    // F1 0.5, no exact match: (0.6·0.5 + 0.2·0) / 0.8 = 0.375 < 0.6 → fail.
    const fields = checkFactsOnlyVerdict(record(facts(false, 0.5), v), rubric).map(
      (m) => `${m.field}: ${JSON.stringify(m.recorded)} → ${JSON.stringify(m.rederived)}`,
    );
    expect(fields).toContain('verdict.pass: true → false');
    const mismatches = checkFactsOnlyVerdict(record(facts(false, 0.5), v), rubric);
    expect(mismatches.find((m) => m.field === 'verdict.score')?.rederived).toBeCloseTo(0.375, 12);
    expect(fields).toContain('verdict.criteria.correctness.score: 1 → 0.5');
    expect(fields).toContain('verdict.criteria.exactness.score: 1 → 0');
    expect(fields).toContain('judgement.pass: true → false');
  });

  it('names the facts when a verdict has none to be re-derived from', () => {
    const v = gradeFromFacts(facts(true, 1), rubric);
    expect(checkFactsOnlyVerdict(record(null, v), rubric).map((m) => m.field)).toEqual(['facts']);
  });

  it('has nothing to check for a sample without a verdict', () => {
    expect(checkFactsOnlyVerdict(record(facts(true, 1), null), rubric)).toEqual([]);
  });
});

describe('re-deriving a routing decision from the recorded judgement', () => {
  it('keeps a clear, fact-consistent judgement final', () => {
    expect(rederiveRoute(judgement({}), facts(true, 1), rubric, routing)).toEqual({
      route: 'final',
      reasons: [],
      safetyFromExtraAnswers: false,
    });
  });

  it('finds near_threshold within the margin of 0.6 (0.62) and not outside it (0.66)', () => {
    expect(rederiveRoute(judgement({ score: 0.62 }), facts(true, 1), rubric, routing).reasons).toEqual([
      'near_threshold',
    ]);
    expect(rederiveRoute(judgement({ score: 0.66 }), facts(true, 1), rubric, routing).reasons).toEqual([]);
  });

  it('finds a pass that contradicts the facts (no exact match, F1 0)', () => {
    expect(rederiveRoute(judgement({}), facts(false, 0), rubric, routing).reasons).toEqual(['contradicts_facts']);
  });

  it('finds low agreement from the recorded self-consistency (3 of 5 = 0.6 < 0.8)', () => {
    const consistency = {
      k: 4,
      samples: 5,
      majority: true,
      agreement: 0.6,
      score_mean: 0.7,
      score_variance: 0.01,
      seeds: [0, 1, 2, 3, 4],
      temperatures: [0, 0.7, 0.7, 0.7, 0.7],
    };
    expect(rederiveRoute(judgement({ consistency }), facts(true, 1), rubric, routing).reasons).toEqual([
      'low_agreement',
    ]);
    expect(
      rederiveRoute(judgement({ consistency }), facts(true, 1), rubric, { ...routing, min_agreement: 0.6 }).reasons,
    ).toEqual([]);
  });

  it('finds a safety finding in the primary answer', () => {
    const criteria = judgement({}).criteria.map((c) => (c.id === 'safety' ? { ...c, score: 0, finding: 'PII' } : c));
    expect(rederiveRoute(judgement({ criteria }), facts(true, 1), rubric, routing).reasons).toEqual(['safety']);
  });

  it('takes a safety route from unrecorded extra answers as recorded, and says so', () => {
    const consistency = {
      k: 2,
      samples: 3,
      majority: true,
      agreement: 1,
      score_mean: 0.9,
      score_variance: 0,
      seeds: [0, 1, 2],
      temperatures: [0, 0.7, 0.7],
    };
    const routed = judgement({ consistency, route: 'arbiter', route_reasons: ['safety'] });
    const again = rederiveRoute(routed, facts(true, 1), rubric, routing);
    expect(again).toEqual({ route: 'arbiter', reasons: ['safety'], safetyFromExtraAnswers: true });
    // Without extra answers the primary is all there was: a recorded safety route is a mismatch.
    const single = judgement({ route: 'arbiter', route_reasons: ['safety'] });
    const checked = checkRouting(record(facts(true, 1), single), rubric, routing);
    expect(checked.mismatches.map((m) => m.field)).toEqual([
      'judgement.route',
      'judgement.route_reasons',
      'verdict.route',
    ]);
  });

  it('names a judgement recorded final that the thresholds route, and a final verdict that is not the judgement', () => {
    const near = judgement({ score: 0.62 });
    const checked = checkRouting(record(facts(true, 1), near), rubric, routing);
    expect(checked.mismatches.map((m) => [m.field, m.recorded, m.rederived])).toEqual([
      ['judgement.route', 'final', 'arbiter'],
      ['judgement.route_reasons', [], ['near_threshold']],
    ]);
    const forged = checkRouting(record(facts(true, 1), judgement({ pass: false }), judgement({})), rubric, routing);
    expect(forged.mismatches.map((m) => [m.field, m.recorded, m.rederived])).toEqual([['verdict.pass', false, true]]);
  });
});
