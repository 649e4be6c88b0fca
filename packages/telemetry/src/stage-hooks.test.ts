import type { Facts, Verdict } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';
import { startRunProgressSampler } from './run-progress-sampler.ts';
import { metricsStoreObserver, sandboxOutcome } from './stage-hooks.ts';

const facts = (over: Partial<Facts>): Facts => ({
  kind: 'code',
  reference: null,
  tests: { passed: 2, failed: 0, errors: 0, skipped: 0, total: 2, collected: 2, expected: 2, cases: [] },
  ruff: null,
  pyright: null,
  exit_code: 0,
  duration_ms: 10,
  timed_out: false,
  oom_killed: false,
  output_truncated: false,
  fabricated_claim: [],
  sandbox: null,
  ...over,
});

const verdict = (over: Partial<Verdict>): Verdict => ({
  pass: true,
  score: 1,
  rationale: 'r',
  criteria: [],
  source: 'judge',
  facts_only: false,
  route: 'final',
  route_reasons: [],
  arbitration: 'none',
  flags: [],
  grader: null,
  consistency: null,
  arbiter: null,
  judge_verdict: null,
  usage: null,
  decided_at: '2026-11-24T00:00:00.000Z',
  ...over,
});

async function values(metrics: ReturnType<typeof createMetrics>, name: string) {
  const m = metrics.registry.getSingleMetric(name);
  return m ? (await m.get()).values : [];
}

describe('sandboxOutcome', () => {
  it('names the first limit hit, then the test result', () => {
    expect(sandboxOutcome(facts({ timed_out: true, oom_killed: true }))).toBe('timeout');
    expect(sandboxOutcome(facts({ oom_killed: true }))).toBe('oom');
    expect(sandboxOutcome(facts({ output_truncated: true }))).toBe('output_truncated');
    expect(sandboxOutcome(facts({ tests: null }))).toBe('no_report');
    expect(sandboxOutcome(facts({}))).toBe('passed');
    const failing = facts({});
    if (failing.tests) failing.tests.errors = 1;
    expect(sandboxOutcome(failing)).toBe('failed');
  });
});

describe('metricsStoreObserver', () => {
  it('counts outcomes, routing reasons, judge tokens and verdicts from first writes', async () => {
    const metrics = createMetrics();
    const observer = metricsStoreObserver(metrics);
    observer.facts('r', 'a', facts({ oom_killed: true }));
    observer.facts('r', 'b', facts({ kind: 'text', tests: null }));
    observer.judgement(
      'r',
      'a',
      verdict({
        route: 'arbiter',
        route_reasons: ['low_agreement', 'safety'],
        usage: { input: 100, output: 7, cache_write: 0, cache_read: 64 },
      }),
    );
    observer.judgement(
      'r',
      'b',
      verdict({ source: 'facts', usage: { input: 5, output: 5, cache_write: 0, cache_read: 0 } }),
    );
    observer.finalVerdict('r', 'a', verdict({ source: 'arbiter', pass: false }));
    observer.finalVerdict('r', 'b', verdict({ source: 'facts' }));

    expect(await values(metrics, 'gavel_sandbox_outcomes_total')).toEqual([
      expect.objectContaining({ labels: { outcome: 'oom' }, value: 1 }),
    ]);
    const reasons = await values(metrics, 'gavel_route_reasons_total');
    expect(reasons.map((v) => [v.labels.reason, v.value])).toEqual([
      ['low_agreement', 1],
      ['safety', 1],
    ]);
    const tokens = await values(metrics, 'gavel_judge_tokens_total');
    expect(Object.fromEntries(tokens.map((v) => [v.labels.type, v.value]))).toEqual({
      input: 100,
      output: 7,
      cache_read: 64,
    });
    const verdicts = await values(metrics, 'gavel_verdicts_total');
    expect(verdicts.map((v) => [v.labels.outcome, v.labels.source, v.value])).toEqual([
      ['fail', 'arbiter', 1],
      ['pass', 'facts', 1],
    ]);
  });

  it('reads the in-flight gauge from its source at scrape time', async () => {
    const metrics = createMetrics();
    let active = 3;
    metrics.setJudgeInflightSource(() => active);
    expect((await values(metrics, 'gavel_judge_inflight_requests'))[0]?.value).toBe(3);
    active = 0;
    expect((await values(metrics, 'gavel_judge_inflight_requests'))[0]?.value).toBe(0);
  });
});

describe('startRunProgressSampler', () => {
  it('sets samples and final verdicts for the recent runs only', async () => {
    const metrics = createMetrics();
    let runs = ['old', 'new'];
    const sampler = startRunProgressSampler({
      metrics,
      store: {
        recentRuns: async (n) => runs.slice(-n),
        progress: async (id) => (id === 'old' ? { total: 10, verdicts: 10 } : { total: 4, verdicts: 1 }),
      },
      runs: 2,
      intervalMs: 60_000,
    });
    await sampler.sample();
    const final = async () =>
      Object.fromEntries((await values(metrics, 'gavel_run_final_verdicts')).map((v) => [v.labels.run_id, v.value]));
    expect(await final()).toEqual({ old: 10, new: 1 });
    runs = ['new'];
    await sampler.sample();
    expect(await final()).toEqual({ new: 1 });
    expect((await values(metrics, 'gavel_run_samples')).map((v) => [v.labels.run_id, v.value])).toEqual([['new', 4]]);
    sampler.stop();
  });
});
