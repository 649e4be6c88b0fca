import {
  ConfigError,
  coerceError,
  InputError,
  type Logger,
  QUEUE_NAMES,
  type SampleFailure,
  SampleJob,
  type Stage,
  silentLogger,
  stageQueuePrefix,
} from '@gavel/core';
import { activeContext, annotateActiveSpan, inContext, SPAN_ATTR, type TraceContext } from '@gavel/telemetry';
import { DelayedError, type Job, type MinimalJob, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { GAVEL_BACKOFF, gavelBackoff } from './backoff.ts';
import type { RunStore } from './run-store.ts';
import type { QueueContext } from './stage-queue.ts';

/** What a stage processor gets besides its payload. */
/** After a shutdown deadline's abort, how long the worker may take to close before it is cut off. */
const ABANDON_AFTER_MS = 3_000;

/** Whether `promise` settles within `ms` (it is left running either way). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface StageContext {
  /** Aborted when the job is cancelled or the process must stop now. */
  signal: AbortSignal;
  store: RunStore;
  log: Logger;
  job: Job<SampleJob>;
  /**
   * The job's trace context (its `process <queue>` span), taken when the job started. A stage hands
   * it on to what it traces after an `await` (a span's parent, the next stage's job): a stage worker
   * may run without AsyncLocalStorage, where the active context does not outlive an `await`.
   */
  trace: TraceContext;
  /**
   * This job recorded the sample's failure before and runs again: a user retried it (Bull Board; a
   * crash between recording the failure and failing the job reads the same). A stage whose failure
   * lives in its own state too (a batch request refused) reopens it rather than failing on it again.
   */
  retried: boolean;
}

export type StageProcessor = (payload: SampleJob, context: StageContext) => Promise<void>;

/** Metrics (or anything else) the runner reports to; all optional. */
export interface StageHooks {
  onActive?(stage: Stage): void;
  onCompleted?(stage: Stage, durationSeconds: number): void;
  onFailed?(stage: Stage, code: SampleFailure['code']): void;
  onRetried?(stage: Stage): void;
}

export interface StageWorkerOptions {
  stage: Stage;
  /** Connection for the worker (must have `maxRetriesPerRequest: null`). */
  queue: QueueContext;
  store: RunStore;
  concurrency: number;
  processor: StageProcessor;
  logger?: Logger;
  hooks?: StageHooks;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  /**
   * Told once when a processor throws a {@link ConfigError}: this worker is misconfigured, so it
   * has stopped taking jobs and returned the job to the queue unharmed (not failed, no attempt used)
   * for a correctly configured worker. The process is expected to stop (exit 78).
   */
  onConfigError?: (error: ConfigError) => void;
}

export interface StageWorker {
  readonly stage: Stage;
  readonly worker: Worker<SampleJob>;
  /**
   * Stops taking jobs and lets active ones finish; after `deadlineMs` the rest are aborted and
   * returned to the queue (moved to delayed without using up an attempt). Safe to call twice.
   */
  close(deadlineMs?: number): Promise<void>;
}

/** `log`, writing each line in `trace` (so the line carries the job's trace and span ids). */
function inTrace(log: Logger, trace: TraceContext): Logger {
  return {
    trace: (...line) => inContext(trace, () => log.trace(...line)),
    debug: (...line) => inContext(trace, () => log.debug(...line)),
    info: (...line) => inContext(trace, () => log.info(...line)),
    warn: (...line) => inContext(trace, () => log.warn(...line)),
    error: (...line) => inContext(trace, () => log.error(...line)),
    child: (bindings) => inTrace(log.child(bindings), trace),
  };
}

function isConfigError(error: Error): error is ConfigError {
  return error instanceof ConfigError || error.name === 'ConfigError';
}

function failureCode(error: Error, final: boolean): SampleFailure['code'] | undefined {
  if (error instanceof InputError || error instanceof UnrecoverableError) return 'input';
  if (!final) return undefined;
  return error.name === 'TransientError' ? 'transient_exhausted' : 'internal';
}

/**
 * Runs one stage as a BullMQ worker around a {@link StageProcessor}: validates the payload,
 * maps `InputError` to `UnrecoverableError`, records a sample's terminal failure in the run
 * store (so every sample ends with a verdict or a recorded reason), and backs off transient
 * errors honouring their `retryAfterMs`.
 */
export function startStageWorker(options: StageWorkerOptions): StageWorker {
  const { stage, store, processor, hooks } = options;
  const log = (options.logger ?? silentLogger).child({ stage });
  let shuttingDown = false;
  let misconfigured: ConfigError | undefined;
  // Back to the head of the wait list, untouched: no failure, no attempt used.
  const giveBack = async (job: Job<SampleJob>, token: string): Promise<never> => {
    await job.moveToWait(token);
    throw new WaitingError();
  };

  const worker = new Worker<SampleJob>(
    QUEUE_NAMES[stage],
    async (job, token, signal) => {
      const parsed = SampleJob.safeParse(job.data);
      if (!parsed.success) {
        throw new UnrecoverableError(`invalid ${stage} job payload: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
      }
      const payload = parsed.data;
      // A misconfigured worker fetched this job while it was stopping: it is not this worker's to grade.
      if (misconfigured && token) return giveBack(job, token);
      // BullMQ's `process <queue>` span (queueTelemetry: a child of the span the job was added in) is
      // active here, before the first await; what the job traces or logs later is given it.
      const trace = activeContext();
      annotateActiveSpan({
        [SPAN_ATTR.runId]: payload.runId,
        [SPAN_ATTR.sampleId]: payload.sampleId,
        [SPAN_ATTR.stage]: stage,
      });
      // Built when first used: a child logger per job costs more than a facts-only job's own work.
      let childLog: Logger | undefined;
      const jobLog = (): Logger => {
        childLog ??= inTrace(log.child({ runId: payload.runId, sampleId: payload.sampleId }), trace);
        return childLog;
      };
      // BullMQ's own per-job signal (aborted on cancel, shutdown abort and lost lock).
      const jobSignal = signal ?? new AbortController().signal;
      hooks?.onActive?.(stage);
      const started = performance.now();
      try {
        // A job that ran before and recorded the sample's failure runs again only when retried
        // (Bull Board, gavel retry): that failure is over. Any other job leaves it alone.
        const retried =
          job.id !== undefined &&
          job.attemptsStarted > 1 &&
          (await store.clearFailureOfJob(payload.runId, payload.sampleId, stage, job.id));
        const context: StageContext = {
          signal: jobSignal,
          store,
          get log() {
            return jobLog();
          },
          job,
          trace,
          retried,
        };
        await processor(payload, context);
        const seconds = (performance.now() - started) / 1000;
        hooks?.onCompleted?.(stage, seconds);
        const { runId, sampleId } = payload;
        inContext(trace, () => log.debug({ runId, sampleId, seconds, attempt: job.attemptsMade + 1 }, 'job done'));
      } catch (thrown) {
        // A processor that moved its own job to delayed (a wait, not a failure) uses no attempt.
        if (thrown instanceof DelayedError) throw thrown;
        const error = coerceError(thrown);
        if (isConfigError(error) && token) {
          if (!misconfigured) {
            misconfigured = error;
            // Stop intake now; the shutdown that follows drains (and bounds) the active jobs.
            worker.close().catch((e: unknown) => log.error({ err: coerceError(e) }, 'cannot stop the worker'));
            options.onConfigError?.(error);
          }
          return giveBack(job, token);
        }
        if (shuttingDown && jobSignal.aborted && token) {
          // Returned, not failed: another worker (or this one after restart) picks it up.
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
        const attempts = job.opts.attempts ?? 1;
        const final = job.attemptsMade + 1 >= attempts;
        const code = failureCode(error, final);
        if (code) {
          await store.recordFailure(payload.runId, payload.sampleId, {
            stage,
            code,
            reason: error.message,
            at: new Date().toISOString(),
            job_id: job.id,
          });
          hooks?.onFailed?.(stage, code);
          jobLog().warn({ err: error, code }, 'sample failed');
          if (code === 'input') throw new UnrecoverableError(error.message);
        } else {
          hooks?.onRetried?.(stage);
          jobLog().info({ err: error, attempt: job.attemptsMade + 1, attempts }, 'retrying');
        }
        throw error;
      }
    },
    {
      connection: options.queue.connection,
      prefix: stageQueuePrefix(options.queue.prefix, stage),
      telemetry: options.queue.telemetry,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 3,
      autorun: true,
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string, error?: Error, job?: MinimalJob) => {
          const backoff = job?.opts.backoff;
          const base = typeof backoff === 'object' && backoff.delay !== undefined ? backoff.delay : 1_000;
          if (type !== GAVEL_BACKOFF) return base;
          return gavelBackoff(attemptsMade, base, error);
        },
      },
    },
  );

  // A job that stalled too often fails without reaching the processor: record it too.
  worker.on('failed', (job, error) => {
    if (!job || !/stalled/i.test(error.message)) return;
    const parsed = SampleJob.safeParse(job.data);
    if (!parsed.success) return;
    hooks?.onFailed?.(stage, 'stalled');
    store
      .recordFailure(parsed.data.runId, parsed.data.sampleId, {
        stage,
        code: 'stalled',
        reason: error.message,
        at: new Date().toISOString(),
        job_id: job.id,
      })
      .catch((e: unknown) => log.error({ err: coerceError(e) }, 'cannot record stalled failure'));
  });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));

  let closing: Promise<void> | undefined;
  return {
    stage,
    worker,
    close(deadlineMs = 30_000) {
      closing ??= (async () => {
        shuttingDown = true;
        const graceful = worker.close();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'deadline'>((resolve) => {
          timer = setTimeout(() => resolve('deadline'), deadlineMs);
        });
        const outcome = await Promise.race([graceful.then(() => 'closed' as const), deadline]);
        clearTimeout(timer);
        if (outcome === 'deadline') {
          log.warn({ deadlineMs }, 'shutdown deadline passed: aborting active jobs');
          worker.cancelAllJobs('shutdown');
          // BullMQ's close waits for Redis to take the jobs back; a Redis that does not answer never
          // does. Nothing can be handed back then: the jobs' locks lapse and they return as stalled.
          if (!(await settlesWithin(graceful, ABANDON_AFTER_MS))) {
            log.warn(
              { afterMs: ABANDON_AFTER_MS },
              'the worker cannot close (Redis does not answer): disconnecting; its jobs return as stalled',
            );
            // disconnect() too waits for the connections' end; the process exits after the shutdown anyway.
            await settlesWithin(worker.disconnect(), ABANDON_AFTER_MS);
          }
        }
      })();
      return closing;
    },
  };
}
