import { describe, expect, it } from 'vitest';
import { facts, manifest, record, verdict } from '../../../test/support/export-records.ts';
import { compareRuns } from './compare.ts';
import { matrixBase } from './review-comparison.ts';
import { reviewMatrix } from './review-matrix.ts';
import type { RunRecords } from './run-records.ts';

const judged = verdict(true, 0.8, {
  route: 'arbiter',
  route_reasons: ['low_agreement', 'safety'],
  consistency: {
    k: 4,
    samples: 5,
    majority: true,
    agreement: 0.6,
    score_mean: 0.7,
    score_variance: 0.05,
    seeds: [1, 2, 3, 4, 5],
    temperatures: [0, 0.7, 0.7, 0.7, 0.7],
  },
});

function run(): RunRecords {
  return {
    manifest: manifest('cand'),
    records: [
      record('cand', 'a', { task_id: 'T1', verdict: verdict(true, 0.9) }),
      record('cand', 'b', {
        task_id: 'T2',
        verdict: verdict(false, 0.3),
        facts: facts({
          timed_out: true,
          ruff: { version: '0.8.0', exit_code: 1, duration_ms: 1, errors: 2, warnings: 0, diagnostics: [] },
        }),
      }),
      record('cand', 'c', {
        task_id: 'T3',
        verdict: {
          ...judged,
          pass: false,
          score: 0.2,
          source: 'arbiter',
          arbitration: 'done',
          judge_verdict: { pass: true, score: 0.8, rationale: 'judge said pass' },
        },
        judge_verdict: judged,
      }),
      record('cand', 'd', {
        task_id: 'T4',
        status: 'failed',
        verdict: null,
        failure: { stage: 'sandbox', code: 'internal', reason: 'docker went away', at: '2026-12-01T00:00:00Z' },
      }),
    ],
  };
}

describe('reviewMatrix', () => {
  it('has one row per sample with verdict, score, criteria, facts, route, agreement and the arbiter decision', () => {
    const m = reviewMatrix(run());
    expect(m.criteria).toEqual(['correctness', 'tests', 'style', 'safety']);
    expect(m.columns.map((c) => c.key)).toEqual([
      'task_id',
      'sample_id',
      'verdict',
      'score',
      'crit:correctness',
      'crit:tests',
      'crit:style',
      'crit:safety',
      'tests_passed',
      'tests_total',
      'ruff_errors',
      'pyright_errors',
      'timed_out',
      'oom_killed',
      'route',
      'route_reasons',
      'agreement',
      'arbiter',
    ]);
    const [a, b, c, d] = m.rows;
    expect(a?.cells).toEqual([
      'T1',
      'a',
      'pass',
      0.9,
      0.9,
      0.9,
      0.9,
      0.9,
      3,
      3,
      0,
      0,
      false,
      false,
      'final',
      '',
      1,
      '',
    ]);
    expect(b?.cells.slice(2, 4)).toEqual(['fail', 0.3]);
    expect(b?.cells.slice(10, 14)).toEqual([2, 0, true, false]);
    expect(c?.cells.slice(14)).toEqual(['arbiter', 'low_agreement safety', 0.6, 'overturned']);
    expect(d?.cells.slice(2, 4)).toEqual(['error', null]);
  });

  it('tags what the filters select: not passed, failed to grade, routed, low agreement, safety', () => {
    const tags = reviewMatrix(run()).rows.map((r) => r.tags);
    expect(tags).toEqual([[], ['failed'], ['failed', 'routed', 'low_agreement', 'safety'], ['failed', 'error']]);
  });

  it('with a base, shows the paired base verdict and marks regressions and fixes from the comparison', () => {
    const candidate = run();
    const base: RunRecords = {
      manifest: manifest('base'),
      records: [
        record('base', 'ba', { task_id: 'T1', verdict: verdict(false, 0.4) }),
        record('base', 'bb', { task_id: 'T2', verdict: verdict(true, 0.95) }),
        record('base', 'bc', { task_id: 'T3', verdict: verdict(false, 0.1) }),
        record('base', 'bd', { task_id: 'T4', verdict: verdict(true, 1) }),
      ],
    };
    const m = reviewMatrix(candidate, { base: matrixBase(base, candidate, compareRuns(base, candidate)) });
    expect(m.columns.slice(4, 7).map((c) => c.key)).toEqual(['base_verdict', 'base_score', 'flip']);
    expect(m.rows.map((r) => r.cells.slice(2, 7))).toEqual([
      ['pass', 0.9, 'fail', 0.4, 'fix'],
      ['fail', 0.3, 'pass', 0.95, 'regression'],
      ['fail', 0.2, 'fail', 0.1, ''],
      ['error', null, 'pass', 1, ''],
    ]);
    expect(m.rows.map((r) => r.tags.filter((t) => ['flip', 'regression', 'fix'].includes(t)))).toEqual([
      ['flip', 'fix'],
      ['flip', 'regression'],
      [],
      [],
    ]);
  });
});
