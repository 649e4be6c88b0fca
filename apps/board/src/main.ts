import { loadBaseConfig, parseEnv, runMain, STAGES } from '@gavel/core';
import { closeRedis, createRedis, redisTarget, stageQueue } from '@gavel/queue';
import {
  createLogger,
  createProcessRegistry,
  queueTelemetry,
  startMetricsServer,
  startTelemetry,
} from '@gavel/telemetry';
import { createBoardApp } from './board-app.ts';
import { BoardEnv, boardAuthFor } from './board-config.ts';
import { allowedHostsFor } from './host-check.ts';

await runMain('gavel board', async () => {
  const tracing = startTelemetry({ serviceName: 'gavel-board' });
  const config = loadBaseConfig(process.env);
  const env = parseEnv(BoardEnv, process.env);
  const auth = boardAuthFor(env);
  const logger = createLogger({ name: 'board', level: config.GAVEL_LOG_LEVEL });
  // Long-lived: reconnects for ever (a Redis restart must not leave the board dead until restarted).
  const connection = createRedis(redisTarget(config), { role: 'worker', connectionName: 'gavel-board' });
  let lastRedisError = '';
  connection.on('error', (error: Error) => {
    if (error.message === lastRedisError) return;
    lastRedisError = error.message;
    logger.warn({ err: error }, 'Redis connection error (reconnecting)');
  });
  connection.on('ready', () => {
    lastRedisError = '';
  });
  const queues = STAGES.map((stage) =>
    stageQueue(stage, {
      connection,
      prefix: config.GAVEL_QUEUE_PREFIX,
      telemetry: tracing.enabled ? queueTelemetry('gavel-board') : undefined,
    }),
  );
  const app = createBoardApp(queues, {
    auth,
    hosts: allowedHostsFor(env, auth.kind !== 'none'),
    allowDestructive: env.GAVEL_BOARD_ALLOW_DESTRUCTIVE,
  });
  // the board's own /metrics (process CPU, memory, event loop), on the metrics address, not the UI's
  const metrics = await startMetricsServer({
    registry: createProcessRegistry('gavel_board_'),
    host: config.GAVEL_METRICS_HOST,
    port: config.GAVEL_METRICS_PORT,
    sdDir: config.GAVEL_PROM_SD_DIR,
    job: 'gavel-board',
  });
  const server = app.listen(env.GAVEL_BOARD_PORT, env.GAVEL_BOARD_HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.GAVEL_BOARD_PORT;
    logger.info({ host: env.GAVEL_BOARD_HOST, port, auth: auth.kind }, 'board listening');
    // one machine-readable line for launchers and tests
    process.stdout.write(`${JSON.stringify({ board: `http://${env.GAVEL_BOARD_HOST}:${port}/` })}\n`);
  });
  const stop = async () => {
    server.close();
    await metrics.close();
    await Promise.all(queues.map((q) => q.close()));
    await closeRedis(connection);
    await tracing.shutdown();
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
});
