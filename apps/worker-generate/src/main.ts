import { DEFAULT_PRICES, readPrices } from '@gavel/arbiter';
import { loadBaseConfig, runMain } from '@gavel/core';
import { createGenerateStage, createSutBatchApi, createSutClient, loadSutConfig } from '@gavel/generate';
import { runStageProcess } from '@gavel/queue';
import { createLogger, startProcessTelemetry } from '@gavel/telemetry';

await runMain('gavel worker-generate', async () => {
  const config = loadBaseConfig(process.env);
  const sutConfig = loadSutConfig(process.env);
  // What each completion cost, booked with it: the SUT's price from the same table the arbiter uses.
  const prices = process.env.GAVEL_PRICES_FILE ? readPrices(process.env.GAVEL_PRICES_FILE) : DEFAULT_PRICES;
  const price = sutConfig ? prices[sutConfig.model] : undefined;
  const logger = createLogger({ name: 'worker-generate', level: config.GAVEL_LOG_LEVEL });
  const obs = await startProcessTelemetry({
    serviceName: 'gavel-worker-generate',
    metricsHost: config.GAVEL_METRICS_HOST,
    metricsPort: config.GAVEL_METRICS_PORT,
    sdDir: config.GAVEL_PROM_SD_DIR,
  });
  const { metrics } = obs;
  const { queues: stageQueues, store } = await runStageProcess({
    stage: 'generate',
    hooks: obs.hooks,
    storeObserver: obs.storeObserver,
    telemetry: obs.telemetry,
    closeTelemetry: () => obs.close(),
    config,
    logger,
    defaultConcurrency: sutConfig?.inflight ?? 16,
    build: async ({ queues }) => {
      // Without an endpoint the worker idles; a generate job it takes stops it with one line (exit 78).
      const sut = sutConfig ? await createSutClient(sutConfig, { logger }) : undefined;
      if (!sut) logger.warn({}, 'no GAVEL_SUT_URL: this generate worker cannot answer generate jobs');
      return {
        processor: createGenerateStage({
          sut,
          sandbox: queues.sandbox,
          generate: queues.generate,
          price,
          // Runs enqueued with --batch go through the endpoint's Batch API (no network until one does).
          batch: sutConfig
            ? { api: createSutBatchApi(sutConfig), config: sutConfig.batch, lockTtlMs: config.GAVEL_LOCK_DURATION_MS }
            : undefined,
          onCompletion: (c) => {
            metrics.generateCompletions.inc({ finish_reason: c.finish_reason ?? 'none', via: c.via });
            if (c.requests > 1 && c.via === 'request') metrics.generateReasked.inc();
            if (c.usage) {
              metrics.generateTokens.inc({ type: 'prompt' }, c.usage.prompt_tokens);
              metrics.generateTokens.inc({ type: 'completion' }, c.usage.completion_tokens);
            }
            if (c.cost_usd !== null) metrics.generateCost.inc(c.cost_usd);
          },
        }),
      };
    },
  });
  obs.watchStage({
    stage: 'generate',
    queue: stageQueues.generate,
    store,
    onError: (error) => logger.warn({ err: error }, 'metrics sample failed'),
  });
});
