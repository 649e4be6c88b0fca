import { GENERATE_BATCH_NS, parseJobId, type Stage } from '@gavel/core';
import { BatchStore, customIdFor, type RunStore, type StageQueue } from '@gavel/queue';

/**
 * A batch-mode generate sample that failed for good (its request refused) is pending again under
 * its next attempt, so its retried job sends it in a later batch instead of failing again.
 */
async function reopenBatchRequest(store: RunStore, runId: string, sampleId: string): Promise<void> {
  const batches = new BatchStore(store, GENERATE_BATCH_NS);
  const state = await batches.getState(runId, sampleId);
  if (state?.status !== 'failed') return;
  await batches.resubmit(runId, sampleId, state, customIdFor(runId, sampleId, state.attempt + 1), Date.now());
}

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
      if (stage === 'generate') await reopenBatchRequest(store, runId, job.data.sampleId);
      await store.clearFailure(runId, job.data.sampleId);
      // Its attempts afresh: one that ran out of them (an outage) would otherwise get a single try.
      await job.retry('failed', { resetAttemptsMade: true });
    }
    retried[stage] = failed.length;
  }
  return retried;
}
