import {
  createArbiterClients,
  createArbiterCollectStage,
  createArbiterPromMetrics,
  loadArbiterConfig,
} from '@gavel/arbiter';
import { loadBaseConfig, runMain } from '@gavel/core';
import { runStageProcess } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { createLogger, startProcessTelemetry } from '@gavel/telemetry';

await runMain('gavel worker-arbiter-collect', async () => {
  const config = loadBaseConfig(process.env);
  const arbiter = loadArbiterConfig(process.env);
  const logger = createLogger({ name: 'worker-arbiter-collect', level: config.GAVEL_LOG_LEVEL });
  const obs = await startProcessTelemetry({
    serviceName: 'gavel-worker-arbiter-collect',
    metricsHost: config.GAVEL_METRICS_HOST,
    metricsPort: config.GAVEL_METRICS_PORT,
    sdDir: config.GAVEL_PROM_SD_DIR,
  });
  const { queues: stageQueues, store } = await runStageProcess({
    stage: 'arbiter-collect',
    hooks: obs.hooks,
    storeObserver: obs.storeObserver,
    telemetry: obs.telemetry,
    // Closed after the worker drains, so the spans of its last jobs are exported.
    closeTelemetry: () => obs.close(),
    config,
    logger,
    defaultConcurrency: 64,
    build: async ({ queues, store }) => ({
      processor: createArbiterCollectStage({
        config: arbiter,
        ...createArbiterClients(arbiter),
        rubrics: createRubricCache((key) => store.getRubricText(key)),
        submitQueue: queues['arbiter-submit'],
        collectQueue: queues['arbiter-collect'],
        lockTtlMs: config.GAVEL_LOCK_DURATION_MS,
        metrics: createArbiterPromMetrics(obs.metrics.registry),
        logger,
      }),
    }),
  });
  obs.watchStage({
    stage: 'arbiter-collect',
    queue: stageQueues['arbiter-collect'],
    store,
    onError: (error) => logger.warn({ err: error }, 'metrics sample failed'),
  });
});
