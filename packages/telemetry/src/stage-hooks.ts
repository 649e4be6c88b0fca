import type { Stage } from '@gavel/core';
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
