import type { StageQueue } from '@gavel/queue';
import { activeSpanRecording, jobTraceContext } from '@gavel/telemetry';

/**
 * The trace context one job carries (bullmq-otel metadata), so work done for several samples at
 * once (a batch's results) is recorded in each sample's own trace. Read only while the active span
 * records: with tracing off this costs no Redis round trip.
 */
export async function jobTraceParent(queue: StageQueue, jobId: string): Promise<ReturnType<typeof jobTraceContext>> {
  if (!activeSpanRecording()) return undefined;
  const job = await queue.getJob(jobId);
  return jobTraceContext(job?.opts.telemetry?.metadata);
}
