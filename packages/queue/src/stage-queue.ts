import { jobIdFor, QUEUE_NAMES, type SampleJob, type Stage, stageQueuePrefix } from '@gavel/core';
import { inContext, type TraceContext } from '@gavel/telemetry';
import { type ConnectionOptions, Queue, type Telemetry } from 'bullmq';
import { jobOptionsFor } from './job-catalog.ts';

export interface QueueContext {
  connection: ConnectionOptions;
  /** Base BullMQ key prefix, e.g. `gavel`; each stage's queue is under `<prefix>:{<queue>}`. */
  prefix: string;
  /** bullmq-otel (or any BullMQ telemetry) so trace context crosses the queue. */
  telemetry?: Telemetry;
  /** Attempts per job (transient failures). */
  attempts?: number;
}

/** A stage's queue: jobs carry only `{ runId, sampleId }`. */
export type StageQueue = Queue<SampleJob>;

/** The BullMQ queue of one stage. */
export function stageQueue(stage: Stage, context: QueueContext): Queue<SampleJob> {
  return new Queue<SampleJob>(QUEUE_NAMES[stage], {
    connection: context.connection,
    prefix: stageQueuePrefix(context.prefix, stage),
    telemetry: context.telemetry,
    defaultJobOptions: jobOptionsFor(stage, { attempts: context.attempts }),
  });
}

/** The job name in every stage queue (one job type per queue). */
export const SAMPLE_JOB_NAME = 'sample';

/**
 * Adds one job per sample with deterministic ids (`<runId>~<sampleId>`): adding a job whose id
 * still exists is a no-op, so a retry or a crash between "done" and "enqueue next" adds nothing twice.
 * `traceMetadata[i]`, when given, is job i's trace context (bullmq-otel metadata): its job is
 * processed in that trace rather than in the adding code's.
 */
export async function addStageJobs(
  queue: Queue<SampleJob>,
  jobs: readonly SampleJob[],
  traceMetadata?: readonly (string | undefined)[],
): Promise<void> {
  if (jobs.length === 0) return;
  await queue.addBulk(
    jobs.map((data, i) => {
      const metadata = traceMetadata?.[i];
      return {
        name: SAMPLE_JOB_NAME,
        data,
        opts: metadata
          ? { jobId: jobIdFor(data.runId, data.sampleId), telemetry: { metadata } }
          : { jobId: jobIdFor(data.runId, data.sampleId) },
      };
    }),
  );
}

/**
 * Hands a sample on to `queue` under its deterministic id. When that id is held by a failed job
 * (the sample failed there before, and an earlier stage ran again: a retry of a completed job, a
 * stalled re-run), the add would be ignored and the sample stranded: that failed job is retried.
 * When it is held by a completed job not yet trimmed (an earlier stage ran again because its
 * record was lost — a cluster failover, then `gavel reconcile`), that job is removed and the job
 * added afresh: the stage runs again and skips what the run store already records.
 * `trace` (the adding job's {@link StageContext.trace}) is the context the add is traced in, so the
 * new job continues the sample's trace; without it, the context active when the add is made.
 */
export async function addStageJob(queue: Queue<SampleJob>, job: SampleJob, trace?: TraceContext): Promise<void> {
  await addOrRetryJob(queue, job, jobIdFor(job.runId, job.sampleId), trace);
}

/** Adds a job under `jobId`, or retries the failed job that holds the id (see {@link addStageJob}). */
export async function addOrRetryJob(
  queue: Queue<SampleJob>,
  data: SampleJob,
  jobId: string,
  trace?: TraceContext,
): Promise<void> {
  // Whether a job held the id just before the add: asked on the connection the add goes out on,
  // ahead of it, so Redis answers it first (in the same round trip). A new job (the usual case)
  // needs no state lookup; a failed ask counts as "held" and takes the careful path.
  const client = await queue.getBackend().client;
  const held = client.runCommand('exists', [queue.toKey(jobId)]).then(
    (count: unknown) => Number(count) > 0,
    () => true,
  );
  // BullMQ reads the active context as each call starts: each is made in `trace`.
  const add = () => inContext(trace, () => queue.add(SAMPLE_JOB_NAME, data, { jobId }));
  await add();
  if (!(await held)) return;
  const state = await queue.getJobState(jobId);
  if (state === 'completed') {
    // 0 when another process removed it first (or it was trimmed meanwhile): the add below is what counts.
    await inContext(trace, () => queue.remove(jobId));
    await add();
    return;
  }
  if (state !== 'failed') return;
  const failed = await queue.getJob(jobId);
  try {
    // With its attempts afresh (attemptsStarted is kept: the worker clears the failure by it).
    await inContext(trace, () => failed?.retry('failed', { resetAttemptsMade: true }));
  } catch (error) {
    // Another process retried it first: it is no longer failed, which is all this wanted.
    if ((await queue.getJobState(jobId)) === 'failed') throw error;
  }
}
