import { parseJobId, type Stage } from '@gavel/core';
import type { RunStore, StageQueue } from '@gavel/queue';

/**
 * Retries a run's failed jobs in the given stages (each sample runs that stage again, with all its
 * attempts, and continues down the pipeline); returns how many were retried per stage.
 */
export async function retryFailedJobs(
  store: RunStore,
  queues: Record<Stage, StageQueue>,
  runId: string,
  stages: readonly Stage[],
): Promise<Partial<Record<Stage, number>>> {
  const retried: Partial<Record<Stage, number>> = {};
  for (const stage of stages) {
    const queue = queues[stage];
    const failed = [];
    for (let start = 0; ; start += 500) {
      const page = await queue.getFailed(start, start + 499);
      if (page.length === 0) break;
      failed.push(...page.filter((job) => job.id !== undefined && parseJobId(job.id)?.runId === runId));
    }
    for (const job of failed) {
      await store.clearFailure(runId, job.data.sampleId);
      // Its attempts afresh: one that ran out of them (an outage) would otherwise get a single try.
      await job.retry('failed', { resetAttemptsMade: true });
    }
    retried[stage] = failed.length;
  }
  return retried;
}
