import { describe, expect, it } from 'vitest';
import { record, verdict } from '../../../test/support/export-records.ts';
import { runSummary } from './review-summary.ts';

describe('runSummary', () => {
  it('counts graded, passed, failed-to-grade, routed and overturned samples and the pass rate by route', () => {
    const routed = verdict(true, 0.8, { route: 'arbiter', route_reasons: ['near_threshold'] });
    const summary = runSummary({
      manifest: null,
      records: [
        record('r', 'a', { task_id: 'A', verdict: verdict(true, 1) }),
        record('r', 'b', { task_id: 'B', verdict: verdict(false, 0.2) }),
        record('r', 'c', { task_id: 'C', verdict: verdict(true, 0.6) }),
        record('r', 'd', {
          task_id: 'D',
          verdict: {
            ...routed,
            pass: false,
            score: 0.4,
            source: 'arbiter',
            arbitration: 'done',
            judge_verdict: { pass: true, score: 0.8, rationale: 'judge' },
          },
          judge_verdict: routed,
        }),
        record('r', 'e', {
          task_id: 'E',
          status: 'failed',
          verdict: null,
          failure: { stage: 'judge', code: 'internal', reason: 'x', at: 'now' },
        }),
      ],
    });
    expect(summary).toMatchObject({
      samples: 5,
      graded: 4,
      passed: 2,
      errors: 1,
      pending: 0,
      pass_rate: 0.5,
      mean_score: (1 + 0.2 + 0.6 + 0.4) / 4,
      routed: 1,
      arbitrated: 1,
      overturned: 1,
    });
    // four tasks, passes 1 0 1 0: s² = 1/3, SE = sqrt(s²/4) = 0.288675…
    expect(summary.pass_rate_se).toBeCloseTo(Math.sqrt(1 / 3 / 4), 12);
    expect(summary.by_route).toEqual([
      { label: 'final', value: 2 / 3, n: 3 },
      { label: 'arbiter', value: 0, n: 1 },
    ]);
    expect(summary.criteria.map((c) => [c.label, c.n])).toEqual([
      ['correctness', 4],
      ['tests', 4],
      ['style', 4],
      ['safety', 4],
    ]);
    // criteria scores 1, 0.2, 0.6 and (the arbitrated verdict keeps the judge's criteria) 0.8
    expect(summary.criteria[0]?.value).toBeCloseTo((1 + 0.2 + 0.6 + 0.8) / 4, 12);
  });
});
