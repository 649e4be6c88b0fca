import { DEFAULT_PRICES, readPrices } from '@gavel/arbiter';
import { ConfigError, coerceError, loadBaseConfig, runMain, TransientError } from '@gavel/core';
import {
  createGenerateStage,
  createSutBatchApi,
  createSutClient,
  type GenerateStageDeps,
  loadSutConfig,
} from '@gavel/generate';
import { gatedProcessor, type JudgeGate, loadJudgeGateConfig, startJudgeGate } from '@gavel/gpu-lease';
import { closeRedis, createRedis, redisTarget, runStageProcess, type StageProcessor } from '@gavel/queue';
import { createLogger, startProcessTelemetry } from '@gavel/telemetry';

await runMain('gavel worker-generate', async () => {
  const config = loadBaseConfig(process.env);
  const sutConfig = loadSutConfig(process.env);
  const gateConfig = loadJudgeGateConfig(process.env);
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
  let gate: JudgeGate | undefined;
  const {
    queues: stageQueues,
    store,
    shutdown,
    worker,
  } = await runStageProcess({
    stage: 'generate',
    hooks: obs.hooks,
    storeObserver: obs.storeObserver,
    telemetry: obs.telemetry,
    closeTelemetry: () => obs.close(),
    config,
    logger,
    defaultConcurrency: sutConfig?.inflight ?? 16,
    build: async ({ queues, shutdown }) => {
      const deps = (sut: GenerateStageDeps['sut']): GenerateStageDeps => ({
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
      });
      if (!sutConfig?.gpuGate) {
        // Without an endpoint the worker idles; a generate job it takes stops it with one line (exit 78).
        const sut = sutConfig ? await createSutClient(sutConfig, { logger }) : undefined;
        if (!sut) logger.warn({}, 'no GAVEL_SUT_URL: this generate worker cannot answer generate jobs');
        return { processor: createGenerateStage(deps(sut)) };
      }
      // Behind the GPU gate the SUT's vLLM runs only while generate work waits (the gpu-agent starts
      // it), so its endpoint is checked when the gate first lets a job through, not at start-up.
      let built: Promise<StageProcessor> | undefined;
      const stage = (): Promise<StageProcessor> => {
        built ??= createSutClient(sutConfig, { logger })
          .then((sut) => createGenerateStage(deps(sut)))
          .catch((thrown: unknown) => {
            built = undefined;
            const error = coerceError(thrown);
            if (error instanceof ConfigError) throw error;
            throw new TransientError(`SUT server not ready: ${error.message}`);
          });
        return built;
      };
      const redis = createRedis(redisTarget(config), { role: 'worker', connectionName: 'gavel-generate-gpu-gate' });
      const subscriber = createRedis(redisTarget(config), {
        role: 'worker',
        connectionName: 'gavel-generate-gpu-gate-sub',
      });
      const sutGate = await startJudgeGate({
        redis,
        subscriber,
        prefix: config.GAVEL_STORE_PREFIX,
        gpuId: gateConfig.GAVEL_GPU_ID,
        pollMs: gateConfig.GAVEL_GPU_POLL_MS,
        owner: 'sut',
      });
      shutdown.register('gpu-gate', async () => {
        await sutGate.close();
        await Promise.all([closeRedis(redis), closeRedis(subscriber)]);
      });
      gate = sutGate.gate;
      return { processor: gatedProcessor(sutGate.gate, async (payload, context) => (await stage())(payload, context)) };
    },
  });
  obs.watchStage({
    stage: 'generate',
    queue: stageQueues.generate,
    store,
    onError: (error) => logger.warn({ err: error }, 'metrics sample failed'),
  });
  if (gate) {
    const detach = gate.attach(worker.worker);
    shutdown.register('gpu-gate-detach', async () => detach());
  }
});
