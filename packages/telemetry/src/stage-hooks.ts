import type { Facts, Stage, Verdict } from '@gavel/core';
import type { Metrics } from './metrics.ts';

/** The stage runner's hooks (structurally `StageHooks` from @gavel/queue) feeding the metric catalog. */
export function metricsStageHooks(metrics: Metrics) {
  return {
    onCompleted(stage: Stage, durationSeconds: number): void {
      metrics.jobsCompleted.inc({ stage });
      metrics.jobDuration.observe({ stage }, durationSeconds);
    },
    onFailed(stage: Stage, code: string): void {
      metrics.jobsFailed.inc({ stage, code });
    },
    onRetried(stage: Stage): void {
      metrics.jobsRetried.inc({ stage });
    },
  };
}

/** What a sandbox stage's facts say happened to a code sample (bounded label values). */
export function sandboxOutcome(facts: Facts): string {
  if (facts.timed_out) return 'timeout';
  if (facts.oom_killed) return 'oom';
  if (facts.output_truncated) return 'output_truncated';
  if (!facts.tests) return 'no_report';
  return facts.tests.failed + facts.tests.errors === 0 && facts.tests.passed > 0 ? 'passed' : 'failed';
}

/**
 * The run store's observer (structurally `RunStoreObserver` from @gavel/queue) feeding the catalog:
 * called once per sample per first write, so the counters count samples, not attempts.
 */
export function metricsStoreObserver(metrics: Metrics) {
  return {
    facts(_runId: string, _sampleId: string, facts: Facts): void {
      if (facts.kind === 'code') metrics.sandboxOutcomes.inc({ outcome: sandboxOutcome(facts) });
    },
    judgement(_runId: string, _sampleId: string, judgement: Verdict): void {
      if (judgement.route === 'arbiter')
        for (const reason of judgement.route_reasons) metrics.routeReasons.inc({ reason });
      if (judgement.source === 'judge' && judgement.usage) {
        metrics.judgeTokens.inc({ type: 'input' }, judgement.usage.input);
        metrics.judgeTokens.inc({ type: 'output' }, judgement.usage.output);
        metrics.judgeTokens.inc({ type: 'cache_read' }, judgement.usage.cache_read);
      }
    },
    finalVerdict(_runId: string, _sampleId: string, verdict: Verdict): void {
      metrics.verdicts.inc({ outcome: verdict.pass ? 'pass' : 'fail', source: verdict.source });
    },
  };
}
