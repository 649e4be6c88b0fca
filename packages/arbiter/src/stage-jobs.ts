import { jobIdFor, type SampleJob } from '@gavel/core';
import { addOrRetryJob, type StageQueue } from '@gavel/queue';

/** Job id of a sample's arbiter job for one attempt (attempt 0 keeps the plain per-sample id). */
export function arbiterJobId(runId: string, sampleId: string, attempt: number): string {
  const base = jobIdFor(runId, sampleId);
  return attempt === 0 ? base : `${base}~a${attempt}`;
}

/** Adds the job of one attempt (a no-op while a live job has that id; a failed one is retried). */
export async function addArbiterJob(queue: StageQueue, job: SampleJob, attempt: number): Promise<void> {
  await addOrRetryJob(queue, job, arbiterJobId(job.runId, job.sampleId, attempt));
}
