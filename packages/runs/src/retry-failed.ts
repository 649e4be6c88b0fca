import { ARBITER_BATCH_NS, GENERATE_BATCH_NS, parseJobId, type Stage } from '@gavel/core';
import { BatchStore, type RunStore, reopenFailedRequest, type StageQueue } from '@gavel/queue';

/** The stages whose failures also live in a batch request's state, and that state's namespace. */
const BATCH_STAGES: Partial<Record<Stage, string>> = {
  generate: GENERATE_BATCH_NS,
  'arbiter-collect': ARBITER_BATCH_NS,
};

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
      const ns = BATCH_STAGES[stage];
      if (ns) await reopenFailedRequest(new BatchStore(store, ns), runId, job.data.sampleId);
      await store.clearFailure(runId, job.data.sampleId);
      // Its attempts afresh: one that ran out of them (an outage) would otherwise get a single try.
      await job.retry('failed', { resetAttemptsMade: true });
    }
    retried[stage] = failed.length;
  }
  return retried;
}
