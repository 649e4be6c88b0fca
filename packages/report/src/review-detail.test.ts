import { describe, expect, it } from 'vitest';
import { record, verdict } from '../../../test/support/export-records.ts';
import { sampleDetail } from './review-detail.ts';

describe('sampleDetail', () => {
  it("keeps the judge's and the arbiter's rationales apart for an arbitrated sample", () => {
    const judged = verdict(true, 0.8, { rationale: 'judge: looks right', route: 'arbiter' });
    const d = sampleDetail(
      record('r', 'a', {
        verdict: {
          ...judged,
          pass: false,
          score: 0.3,
          rationale: 'arbiter: the empty list raises',
          source: 'arbiter',
          arbitration: 'done',
          judge_verdict: { pass: true, score: 0.8, rationale: 'judge: looks right' },
        },
        judge_verdict: judged,
      }),
    );
    expect(d).toMatchObject({
      verdict: 'fail',
      score: 0.3,
      source: 'arbiter',
      arbiter: 'overturned',
      judge_rationale: 'judge: looks right',
      arbiter_rationale: 'arbiter: the empty list raises',
    });
  });

  it('lists test cases and both tools’ diagnostics, and the base sample with the facts that changed', () => {
    const target = record('r', 'a', { verdict: verdict(false, 0.2, { rationale: 'fails' }) });
    (target.facts as NonNullable<typeof target.facts>).ruff = {
      version: '0.8.0',
      exit_code: 1,
      duration_ms: 1,
      errors: 1,
      warnings: 0,
      diagnostics: [{ code: 'F401', message: 'unused import', severity: 'error', line: 1 }],
    };
    const base = record('b', 'base-a', { verdict: verdict(true, 0.9, { rationale: 'fine' }) });
    const changed = [{ fact: 'ruff_errors', base: 0, candidate: 1 }];
    const d = sampleDetail(target, base, changed);
    expect(d.tests.map((t) => t.name)).toEqual(['test_basic', 'test_edge', 'test_large']);
    expect(d.diagnostics).toEqual([
      { tool: 'ruff', code: 'F401', message: 'unused import', severity: 'error', line: 1 },
    ]);
    expect(d.judge_rationale).toBe('fails');
    expect(d.arbiter_rationale).toBeNull();
    expect(d.base).toEqual({ sample_id: 'base-a', verdict: 'pass', score: 0.9, rationale: 'fine', changed });
  });
});
