import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError, createShutdown, runMain } from '@gavel/core';
import {
  createGpuMetrics,
  createNvidiaSmiReader,
  createOllamaController,
  createVllmController,
  GpuLease,
  loadGpuAgentConfig,
  startOllamaGate,
  watchLease,
} from '@gavel/gpu-lease';
import {
  closeRedis,
  createRedis,
  describeRedisTarget,
  redisTarget,
  redisTargetVariable,
  stageQueue,
} from '@gavel/queue';
import { createLogger, startMetricsServer, startTelemetry } from '@gavel/telemetry';
import { Registry } from 'prom-client';
import { startGpuAgent } from './agent.ts';

await runMain('gavel gpu-agent', async () => {
  const tracing = startTelemetry({ serviceName: 'gavel-gpu-agent' });
  const config = loadGpuAgentConfig(process.env);
  const logger = createLogger({ name: 'gpu-agent', level: config.GAVEL_LOG_LEVEL }).child({ gpu: config.GAVEL_GPU_ID });
  const shutdown = createShutdown({ logger, deadlineMs: config.GAVEL_SHUTDOWN_TIMEOUT_S * 1000 });
  const redis = createRedis(redisTarget(config), { role: 'worker', connectionName: 'gavel-gpu-agent' });
  const subscriber = createRedis(redisTarget(config), { role: 'worker', connectionName: 'gavel-gpu-agent-sub' });
  let lastRedisError = '';
  for (const connection of [redis, subscriber]) {
    connection.on('error', (error: Error) => {
      // ioredis reconnects by itself; say so once per distinct error, not on every retry.
      if (error.message === lastRedisError) return;
      lastRedisError = error.message;
      logger.warn({ err: error }, 'Redis connection error (reconnecting)');
    });
  }
  shutdown.register('tracing', () => tracing.shutdown());
  shutdown.register('redis', async () => {
    await Promise.all([closeRedis(redis), closeRedis(subscriber)]);
  });
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 10 s')), 10_000).unref()),
    ]);
  } catch (error) {
    throw new ConfigError(
      `cannot reach ${describeRedisTarget(redisTarget(config))} (${(error as Error).message}); start it with infra/bootstrap or set ${redisTargetVariable(redisTarget(config))}`,
    );
  }
  const lease = new GpuLease({
    redis,
    prefix: config.GAVEL_STORE_PREFIX,
    gpuId: config.GAVEL_GPU_ID,
    ttlMs: config.leaseTtlMs,
  });
  const watch = watchLease({ lease, subscriber, pollMs: config.GAVEL_GPU_POLL_MS, logger });
  shutdown.register('lease-watch', () => watch.close());
  await watch.ready;
  const judgeQueue = stageQueue('judge', { connection: redis, prefix: config.GAVEL_QUEUE_PREFIX });
  shutdown.register('judge-queue', () => judgeQueue.close());
  // With a SUT served on this card, generate jobs pending give it the card first.
  const generateQueue = config.sut
    ? stageQueue('generate', { connection: redis, prefix: config.GAVEL_QUEUE_PREFIX })
    : undefined;
  if (generateQueue) shutdown.register('generate-queue', () => generateQueue.close());
  if (config.GAVEL_OLLAMA_GATE) {
    const gate = await startOllamaGate({
      upstream: config.GAVEL_OLLAMA_URL,
      host: config.GAVEL_OLLAMA_GATE_HOST,
      port: config.GAVEL_OLLAMA_GATE_PORT,
      retryAfterS: config.GAVEL_OLLAMA_GATE_RETRY_AFTER_S,
      lease: () => watch.current(),
      logger,
    });
    shutdown.register('ollama-gate', () => gate.close());
  }
  const registry = new Registry();
  const metricsServer = await startMetricsServer({
    registry,
    host: config.GAVEL_METRICS_HOST,
    port: config.GAVEL_METRICS_PORT,
    sdDir: config.GAVEL_PROM_SD_DIR,
    job: 'gavel-gpu-agent',
  });
  shutdown.register('metrics', () => metricsServer.close());
  const agent = startGpuAgent({
    config,
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    lease,
    watch,
    ollama: createOllamaController({ url: config.GAVEL_OLLAMA_URL }),
    vllm: createVllmController({
      argv: config.vllmArgv,
      url: config.GAVEL_VLLM_URL,
      pidFile: config.vllmPidFile,
      logFile: config.vllmLogFile,
      logger,
    }),
    ...(config.sut
      ? {
          sut: createVllmController({
            argv: config.sut.argv,
            url: config.sut.url,
            pidFile: config.sut.pidFile,
            logFile: config.sut.logFile,
            logger: logger.child({ server: 'sut' }),
          }),
        }
      : {}),
    ...(generateQueue ? { generateQueue } : {}),
    smi: createNvidiaSmiReader({ binary: config.GAVEL_NVIDIA_SMI, timeoutMs: 10_000 }),
    judgeQueue,
    metrics: createGpuMetrics(registry, { gpu: config.GAVEL_GPU_ID }),
    logger,
  });
  shutdown.register('agent', () => agent.stop());
  const exit = await agent.done;
  if (exit.reason === 'lease-lost') {
    logger.error({ error: exit.error }, 'exiting: the GPU lease was lost');
    await shutdown.run('lease lost');
    process.exit(75);
  }
});
