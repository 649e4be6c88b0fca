import type { StageQueue } from '@gavel/queue';
import { activeSpanRecording, jobTraceContext } from '@gavel/telemetry';

/**
 * The trace context each job carries (bullmq-otel metadata), in `jobIds` order, so work done for
 * several samples at once (a batch) is recorded in each sample's own trace. Read only while the
 * active span records: with tracing off this costs no Redis round trip and returns no metadata.
 */
export async function jobsTraceMetadata(queue: StageQueue, jobIds: readonly string[]): Promise<(string | undefined)[]> {
  if (!activeSpanRecording()) return jobIds.map(() => undefined);
  const jobs = await Promise.all(jobIds.map((id) => queue.getJob(id)));
  return jobs.map((job) => job?.opts.telemetry?.metadata);
}

/** The trace context of one job, when tracing is on and the job carries one. */
export async function jobTraceParent(queue: StageQueue, jobId: string): Promise<ReturnType<typeof jobTraceContext>> {
  const [metadata] = await jobsTraceMetadata(queue, [jobId]);
  return jobTraceContext(metadata);
}
