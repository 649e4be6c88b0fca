import { describe, expect, it } from 'vitest';
import { type DecidedVerdict, diffReasons, diffVerdict, formatMismatch } from './verify-mismatch.ts';
import { formatVerifyReport, verifyExitCode } from './verify-report.ts';

function verdict(overrides: Partial<DecidedVerdict> = {}): DecidedVerdict {
  return {
    pass: true,
    score: 1,
    rationale: 'Facts-only verdict.',
    criteria: [
      { id: 'correctness', score: 1, finding: null },
      { id: 'exactness', score: 1, finding: null },
    ],
    source: 'facts',
    route: 'final',
    route_reasons: [],
    flags: [],
    ...overrides,
  };
}

describe('verdict mismatches', () => {
  it('finds nothing between a verdict and itself', () => {
    expect(diffVerdict('s-1', 'verdict', verdict(), verdict())).toEqual([]);
  });

  it('names each differing field, criterion by id', () => {
    const rederived = verdict({
      pass: false,
      score: 0,
      criteria: [
        { id: 'correctness', score: 0, finding: 'token F1 0.000' },
        { id: 'exactness', score: 1, finding: null },
      ],
      flags: ['fabricated_claim'],
    });
    const lines = diffVerdict('s-1', 'verdict', verdict(), rederived).map(formatMismatch);
    expect(lines).toEqual([
      'sample s-1: verdict.pass: recorded true, re-derived false',
      'sample s-1: verdict.score: recorded 1, re-derived 0',
      'sample s-1: verdict.criteria.correctness.score: recorded 1, re-derived 0',
      'sample s-1: verdict.criteria.correctness.finding: recorded none, re-derived token F1 0.000',
      'sample s-1: verdict.flags: recorded [], re-derived ["fabricated_claim"]',
    ]);
  });

  it('names a criterion present on one side only', () => {
    const rederived = verdict({ criteria: [{ id: 'correctness', score: 1, finding: null }] });
    expect(diffVerdict('s-1', 'judgement', verdict(), rederived).map((m) => m.field)).toEqual([
      'judgement.criteria.exactness',
    ]);
  });

  it('compares route reasons as sets', () => {
    expect(diffReasons('s', 'judgement', ['safety', 'near_threshold'], ['near_threshold', 'safety'])).toEqual([]);
    expect(diffReasons('s', 'judgement', ['safety'], ['near_threshold', 'safety']).map(formatMismatch)).toEqual([
      'sample s: judgement.route_reasons: recorded ["safety"], re-derived ["near_threshold","safety"]',
    ]);
  });

  it('keeps control characters of an untrusted value escaped on its line', () => {
    const line = formatMismatch({
      subject: 'sample s',
      sample_id: 's',
      field: 'verdict.rationale',
      recorded: 'ok\u001b[2J\nforged line',
      rederived: 'ok',
    });
    expect(line).toBe('sample s: verdict.rationale: recorded "ok\\u001b[2J\\nforged line", re-derived ok');
    expect(line).not.toContain('\n');
  });
});

describe('the exit status of gavel verify', () => {
  const mismatch = { subject: 'sample s', sample_id: 's', field: 'verdict.pass', recorded: true, rederived: false };
  it('is 0 when everything matched, 4 on a mismatch, 5 when a check could not be made', () => {
    expect(verifyExitCode([], [{ name: 'x', status: 'ok', detail: '' }])).toBe(0);
    expect(verifyExitCode([], [{ name: 'x', status: 'skipped', detail: '' }])).toBe(0);
    expect(verifyExitCode([mismatch], [{ name: 'x', status: 'unchecked', detail: '' }])).toBe(4);
    expect(verifyExitCode([], [{ name: 'x', status: 'unchecked', detail: '' }])).toBe(5);
  });

  it('prints mismatches first, one line each, then the checks', () => {
    const lines = formatVerifyReport({
      run_id: 'r',
      checks: [{ name: 'dataset', status: 'skipped', detail: 'no --dataset FILE given' }],
      samples: {
        total: 1,
        facts_only_rederived: 1,
        routing_rederived: 0,
        safety_from_extra_answers: 0,
        failed: 0,
        pending: 0,
      },
      mismatches: [mismatch],
      judge_sample: null,
    });
    expect(lines[0]).toBe('sample s: verdict.pass: recorded true, re-derived false');
    expect(lines[1]).toBe('skipped: dataset: no --dataset FILE given');
  });
});
