import {
  type BaseConfig,
  ConfigError,
  createShutdown,
  EXIT_CONFIG,
  type Logger,
  type SampleJob,
  type Shutdown,
  STAGES,
  type Stage,
} from '@gavel/core';
import type { Queue, Telemetry } from 'bullmq';
import { closeRedis, createRedis, describeRedisTarget, pingWithin, redisTarget, redisTargetVariable } from './redis.ts';
import { RunStore, type RunStoreObserver } from './run-store.ts';
import { stageConcurrency } from './stage-concurrency.ts';
import { stageQueue } from './stage-queue.ts';
import { type StageHooks, type StageProcessor, type StageWorker, startStageWorker } from './stage-worker.ts';

/** What a stage's builder gets to construct its processor. */
export interface StageBuildContext {
  config: BaseConfig;
  logger: Logger;
  store: RunStore;
  /** Producer handles on every stage queue (to add next-stage jobs). */
  queues: Readonly<Record<Stage, Queue<SampleJob>>>;
  shutdown: Shutdown;
}

export interface StageProcessOptions {
  stage: Stage;
  config: BaseConfig;
  logger: Logger;
  /** Concurrency when `GAVEL_CONCURRENCY` is unset. */
  defaultConcurrency: number;
  /**
   * `concurrency`: the stage's own (GAVEL_CONCURRENCY overrides it); `minConcurrency`: the jobs it needs
   * at once to keep its own bound busy — a GAVEL_CONCURRENCY below it is raised to it (logged).
   */
  build: (
    context: StageBuildContext,
  ) => Promise<{ processor: StageProcessor; concurrency?: number; minConcurrency?: number }>;
  hooks?: StageHooks;
  /** Told of each sample's first facts, judgement and final verdict (metrics). */
  storeObserver?: RunStoreObserver;
  telemetry?: Telemetry;
  /**
   * Flushes and stops the process's telemetry. Closed after the worker has drained (and after what
   * `build` registered), before the queues and Redis: the spans and metrics of drained jobs get out.
   */
  closeTelemetry?: () => Promise<void>;
}

export interface StageProcess {
  shutdown: Shutdown;
  worker: StageWorker;
  store: RunStore;
  queues: Readonly<Record<Stage, Queue<SampleJob>>>;
}

/**
 * Wires one stage worker process: Redis connections, the run store, the stage worker and a
 * shutdown coordinator (SIGINT/SIGTERM drain active jobs within `GAVEL_SHUTDOWN_TIMEOUT_S`). A
 * signal during start-up waits for it: the worker, and whatever `build` started (a sandbox's
 * containers), are closed as after start-up, never left taking jobs or running when the process exits.
 */
export function runStageProcess(options: StageProcessOptions): Promise<StageProcess> {
  const shutdown = createShutdown({
    logger: options.logger,
    deadlineMs: options.config.GAVEL_SHUTDOWN_TIMEOUT_S * 1000,
  });
  return shutdown.during(startStageProcess(options, shutdown));
}

async function startStageProcess(options: StageProcessOptions, shutdown: Shutdown): Promise<StageProcess> {
  const { config, logger, stage } = options;
  // Long-lived: the run store and the next-stage queues wait out a Redis restart (reconnect with
  // backoff for ever) instead of failing every write, recordFailure included.
  const client = createRedis(redisTarget(config), { role: 'worker', connectionName: `gavel-${stage}-client` });
  const workerConnection = createRedis(redisTarget(config), { role: 'worker', connectionName: `gavel-${stage}` });
  let lastRedisError = '';
  for (const connection of [client, workerConnection]) {
    connection.on('error', (error: Error) => {
      // ioredis reconnects by itself; say so once per distinct error, not on every retry.
      if (error.message === lastRedisError) return;
      lastRedisError = error.message;
      logger.warn({ err: error }, 'Redis connection error (reconnecting)');
    });
    connection.on('ready', () => {
      lastRedisError = '';
    });
  }
  shutdown.register('redis', async () => {
    await Promise.all([closeRedis(client), closeRedis(workerConnection)]);
  });
  const store = new RunStore(client, config.GAVEL_STORE_PREFIX);
  if (options.storeObserver) store.observe(options.storeObserver);
  const queueContext = {
    connection: client,
    prefix: config.GAVEL_QUEUE_PREFIX,
    telemetry: options.telemetry,
    attempts: config.GAVEL_ATTEMPTS,
  };
  const queues = Object.fromEntries(STAGES.map((s) => [s, stageQueue(s, queueContext)])) as Record<
    Stage,
    Queue<SampleJob>
  >;
  shutdown.register('queues', async () => {
    await Promise.all(Object.values(queues).map((q) => q.close()));
  });
  const { closeTelemetry } = options;
  if (closeTelemetry) shutdown.register('telemetry', () => closeTelemetry());
  try {
    await pingWithin(client, 10_000);
  } catch (error) {
    throw new ConfigError(
      `cannot reach ${describeRedisTarget(redisTarget(config))} (${(error as Error).message}); start it with infra/bootstrap or set ${redisTargetVariable(redisTarget(config))}`,
    );
  }
  // Data of the key layout before per-run hash tags: stop with how to migrate it, not fail each job.
  await store.layout.assertCurrent();
  const built = await options.build({ config, logger, store, queues, shutdown });
  const { concurrency, raised } = stageConcurrency({
    configured: config.GAVEL_CONCURRENCY,
    stage: built.concurrency,
    floor: built.minConcurrency,
    fallback: options.defaultConcurrency,
  });
  if (raised)
    logger.warn(
      { stage, configured: config.GAVEL_CONCURRENCY, concurrency },
      'GAVEL_CONCURRENCY is below what this stage needs to keep its own bound busy: raised',
    );
  const worker = startStageWorker({
    stage,
    queue: { ...queueContext, connection: workerConnection },
    store,
    concurrency,
    processor: built.processor,
    logger,
    hooks: options.hooks,
    lockDurationMs: config.GAVEL_LOCK_DURATION_MS,
    stalledIntervalMs: config.GAVEL_STALLED_INTERVAL_MS,
    maxStalledCount: config.GAVEL_MAX_STALLED,
    // A misconfigured worker stops with one line, as at start-up; its jobs are already back in the queue.
    onConfigError: (error) => {
      process.stderr.write(`gavel worker-${stage}: ${error.message}\n`);
      void shutdown.exit(EXIT_CONFIG, `configuration error: ${error.message}`);
    },
  });
  // A Redis that does not answer cannot take the active jobs back however long they drain: the
  // worker then stops within a second (its jobs return as stalled), not at the deadline.
  shutdown.register('worker', (deadlineMs) =>
    worker.close(client.status === 'ready' && workerConnection.status === 'ready' ? deadlineMs : 1_000),
  );
  logger.info({ stage, concurrency, pid: process.pid }, 'worker started');
  return { shutdown, worker, store, queues };
}
