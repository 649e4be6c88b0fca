import type { Server } from 'node:http';
import { join } from 'node:path';
import { createShutdown, loadBaseConfig, parseEnv, readDatasetFile, runMain, STAGES, type Stage } from '@gavel/core';
import { closeRedis, createRedis, RunStore, redisTarget, type StageQueue, stageQueue } from '@gavel/queue';
import { runStagesFromEnv } from '@gavel/runs';
import { createLogger, createProcessRegistry, startMetricsServer } from '@gavel/telemetry';
import { serve } from '@hono/node-server';
import { createApiApp } from './api-app.ts';
import { ApiEnv, apiSecurityFor } from './api-config.ts';
import { IdempotencyStore } from './idempotency.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

await runMain('gavel serve', async () => {
  const config = loadBaseConfig(process.env);
  const env = parseEnv(ApiEnv, process.env);
  const security = apiSecurityFor(env);
  // the stage settings every submitted run is pinned to, read once (a bad one stops the start)
  const stages = await runStagesFromEnv(process.env, config.GAVEL_DATA_DIR);
  const bundledProblems = await readDatasetFile(join(ROOT, 'datasets', 'humaneval', 'HumanEval.jsonl.gz'));
  const logger = createLogger({ name: 'api', level: config.GAVEL_LOG_LEVEL });
  const shutdown = createShutdown({ logger, deadlineMs: config.GAVEL_SHUTDOWN_TIMEOUT_S * 1000 });
  // Long-lived: reconnects for ever (a Redis restart must not leave the API dead until restarted);
  // every command has a deadline (GAVEL_API_REDIS_TIMEOUT_S): a request answers 503 rather than hang
  // on a Redis that does not answer; /healthz answers within its own 2 s.
  const redis = createRedis(redisTarget(config), {
    role: 'worker',
    connectionName: 'gavel-api',
    commandTimeoutMs: env.GAVEL_API_REDIS_TIMEOUT_S * 1000,
  });
  let lastRedisError = '';
  redis.on('error', (error: Error) => {
    if (error.message === lastRedisError) return;
    lastRedisError = error.message;
    logger.warn({ err: error }, 'Redis connection error (reconnecting)');
  });
  redis.on('ready', () => {
    lastRedisError = '';
  });
  shutdown.register('redis', () => closeRedis(redis));
  const store = new RunStore(redis, config.GAVEL_STORE_PREFIX);
  const context = { connection: redis, prefix: config.GAVEL_QUEUE_PREFIX, attempts: config.GAVEL_ATTEMPTS };
  const queues = Object.fromEntries(STAGES.map((s) => [s, stageQueue(s, context)])) as Record<Stage, StageQueue>;
  shutdown.register('queues', async () => {
    await Promise.allSettled(Object.values(queues).map((q) => q.close()));
  });
  const registry = createProcessRegistry('gavel_api_');
  const metrics = await startMetricsServer({
    registry,
    host: config.GAVEL_METRICS_HOST,
    port: config.GAVEL_METRICS_PORT,
    sdDir: config.GAVEL_PROM_SD_DIR,
    job: 'gavel-api',
  });
  shutdown.register('metrics', () => metrics.close());
  const app = createApiApp({
    redis,
    store,
    queues,
    security,
    registry,
    logger,
    redisTimeoutS: env.GAVEL_API_REDIS_TIMEOUT_S,
    submission: {
      store,
      sandbox: queues.sandbox,
      stages,
      rubricsDir: env.GAVEL_API_RUBRICS_DIR ?? join(ROOT, 'rubrics'),
      bundledProblems,
      idempotency: new IdempotencyStore(
        redis,
        config.GAVEL_STORE_PREFIX,
        env.GAVEL_API_IDEMPOTENCY_TTL_S,
        env.GAVEL_API_IDEMPOTENCY_CLAIM_S * 1000,
      ),
      maxBodyBytes: env.GAVEL_API_MAX_BODY_BYTES,
    },
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: env.GAVEL_API_HOST, port: env.GAVEL_API_PORT }, () => resolve(s));
    s.once('error', reject);
  });
  // stop taking requests; open streams (SSE, verdicts) get a short grace, then their sockets close
  shutdown.register('http', (deadlineMs) => {
    const http = server as Server;
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeIdleConnections();
    const cut = setTimeout(() => http.closeAllConnections(), Math.min(deadlineMs, 5_000));
    return closed.finally(() => clearTimeout(cut));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.GAVEL_API_PORT;
  const host = env.GAVEL_API_HOST.includes(':') ? `[${env.GAVEL_API_HOST}]` : env.GAVEL_API_HOST;
  // the auth kind and token counts only: a token never reaches the log
  logger.info(
    {
      host: env.GAVEL_API_HOST,
      port,
      auth: security.auth.kind,
      cors: security.corsOrigins.length > 0,
      metrics: metrics.url,
    },
    'api listening',
  );
  // one machine-readable line for launchers and tests
  process.stdout.write(`${JSON.stringify({ api: `http://${host}:${port}/`, metrics: metrics.url })}\n`);
});
