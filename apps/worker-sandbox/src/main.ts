import { loadBaseConfig, runMain } from '@gavel/core';
import { createEmbedder, createEmbeddingsClient, loadEmbeddingsConfig } from '@gavel/embeddings';
import { runStageProcess } from '@gavel/queue';
import { createDockerSandbox, createSandboxStage, loadSandboxConfig } from '@gavel/sandbox';
import { createLogger, startProcessTelemetry } from '@gavel/telemetry';

await runMain('gavel worker-sandbox', async () => {
  const config = loadBaseConfig(process.env);
  const sandboxConfig = loadSandboxConfig(process.env);
  const embeddingsConfig = loadEmbeddingsConfig(process.env);
  const logger = createLogger({ name: 'worker-sandbox', level: config.GAVEL_LOG_LEVEL });
  const obs = await startProcessTelemetry({
    serviceName: 'gavel-worker-sandbox',
    metricsHost: config.GAVEL_METRICS_HOST,
    metricsPort: config.GAVEL_METRICS_PORT,
    sdDir: config.GAVEL_PROM_SD_DIR,
    // Each traced call of the sandbox stage is handed its job's context: no AsyncLocalStorage.
    contextPropagation: 'explicit',
  });
  const { queues: stageQueues, store } = await runStageProcess({
    stage: 'sandbox',
    hooks: obs.hooks,
    storeObserver: obs.storeObserver,
    telemetry: obs.telemetry,
    // Closed after the worker drains, so the spans of its last jobs are exported.
    closeTelemetry: () => obs.close(),
    config,
    logger,
    defaultConcurrency: 64,
    build: async ({ queues, shutdown, store: runStore }) => {
      // The embedding-similarity fact of text samples with a reference, when an embedding model is configured.
      const embeddings = embeddingsConfig
        ? createEmbedder({
            embed: createEmbeddingsClient(embeddingsConfig),
            model: embeddingsConfig.model,
            redis: runStore.redis,
            prefix: runStore.prefix,
            batch: embeddingsConfig.batch,
          })
        : undefined;
      if (sandboxConfig.mode === 'none') return { processor: createSandboxStage({ judge: queues.judge, embeddings }) };
      // Code samples: ruff + pyright in the warm analysis container, pytest in a fresh container each
      // (at most GAVEL_SANDBOX_CONCURRENCY at once; the stage keeps more samples in flight so pyright
      // checks them in batches). Registered before the worker, so shutdown closes it after the worker drains.
      const sandbox = await createDockerSandbox(sandboxConfig, logger);
      const described = await sandbox.describe();
      logger.info(described, 'docker sandbox ready');
      shutdown.register('sandbox', () => sandbox.close());
      return { processor: createSandboxStage({ judge: queues.judge, codeFacts: sandbox.codeFacts, embeddings }) };
    },
  });
  obs.watchStage({
    stage: 'sandbox',
    queue: stageQueues.sandbox,
    store,
    onError: (error) => logger.warn({ err: error }, 'metrics sample failed'),
  });
});
