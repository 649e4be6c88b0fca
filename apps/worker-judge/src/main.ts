import { ConfigError, coerceError, loadBaseConfig, runMain, TransientError } from '@gavel/core';
import { gatedProcessor, type JudgeGate, loadJudgeGateConfig, startJudgeGate } from '@gavel/gpu-lease';
import {
  createFactsGrader,
  createJudgeStage,
  createLlmGrader,
  deferredGrader,
  type Grader,
  InflightLimiter,
  loadJudgeConfig,
} from '@gavel/judge';
import { closeRedis, createRedis, redisTarget, runStageProcess } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { createLogger, startProcessTelemetry } from '@gavel/telemetry';

await runMain('gavel worker-judge', async () => {
  const config = loadBaseConfig(process.env);
  const judgeConfig = loadJudgeConfig(process.env);
  const gateConfig = loadJudgeGateConfig(process.env);
  const logger = createLogger({ name: 'worker-judge', level: config.GAVEL_LOG_LEVEL });
  const obs = await startProcessTelemetry({
    serviceName: 'gavel-worker-judge',
    metricsHost: config.GAVEL_METRICS_HOST,
    metricsPort: config.GAVEL_METRICS_PORT,
    sdDir: config.GAVEL_PROM_SD_DIR,
    // Each traced call of the judge stage is handed its job's context: no AsyncLocalStorage.
    contextPropagation: 'explicit',
  });
  let gate: JudgeGate | undefined;
  const {
    shutdown,
    worker,
    store,
    queues: stageQueues,
  } = await runStageProcess({
    stage: 'judge',
    hooks: obs.hooks,
    storeObserver: obs.storeObserver,
    telemetry: obs.telemetry,
    // Closed after the worker drains, so the spans of its last jobs are exported.
    closeTelemetry: () => obs.close(),
    config,
    logger,
    defaultConcurrency: 32,
    build: async ({ queues, store, shutdown }) => {
      let grader: Grader;
      if (judgeConfig.mode === 'facts') grader = createFactsGrader();
      else {
        // One in-flight bound for the process; its count is the in-flight gauge on /metrics.
        const limiter = new InflightLimiter(judgeConfig.inflight);
        obs.metrics.setJudgeInflightSource(() => limiter.active);
        const build = () => createLlmGrader(judgeConfig, logger, { limiter });
        if (!gateConfig.GAVEL_JUDGE_GPU_GATE) grader = await build();
        else {
          // Behind the gate vLLM runs only once judge work waits (the gpu-agent starts it), so the
          // server is checked when the gate first lets a job through, not at start-up. A server
          // refused by the check (a ConfigError) stops this worker (exit 78); its jobs go back.
          grader = deferredGrader(`${judgeConfig.mode}:${judgeConfig.model}`, () =>
            build().catch((thrown: unknown) => {
              const error = coerceError(thrown);
              if (error instanceof ConfigError) throw error;
              throw new TransientError(`judge server not ready: ${error.message}`);
            }),
          );
        }
      }
      shutdown.register('grader', () => grader.close());
      const rubrics = createRubricCache((key) => store.getRubricText(key));
      let processor = createJudgeStage({ grader, rubrics, arbiterSubmit: queues['arbiter-submit'] });
      if (gateConfig.GAVEL_JUDGE_GPU_GATE) {
        // Judge only while vLLM holds the GPU lease (the gpu-agent hands the card over).
        const redis = createRedis(redisTarget(config), { role: 'worker', connectionName: 'gavel-judge-gpu-gate' });
        const subscriber = createRedis(redisTarget(config), {
          role: 'worker',
          connectionName: 'gavel-judge-gpu-gate-sub',
        });
        const judgeGate = await startJudgeGate({
          redis,
          subscriber,
          prefix: config.GAVEL_STORE_PREFIX,
          gpuId: gateConfig.GAVEL_GPU_ID,
          pollMs: gateConfig.GAVEL_GPU_POLL_MS,
        });
        shutdown.register('gpu-gate', async () => {
          await judgeGate.close();
          await Promise.all([closeRedis(redis), closeRedis(subscriber)]);
        });
        processor = gatedProcessor(judgeGate.gate, processor);
        gate = judgeGate.gate;
      }
      // More jobs than request slots (each job sends 1 + k requests), so all slots stay busy; a lower
      // GAVEL_CONCURRENCY (say `gavel workers --concurrency` meant for the sandbox) is raised to it.
      const concurrency =
        judgeConfig.mode === 'facts' ? undefined : Math.ceil((2 * judgeConfig.inflight) / (judgeConfig.k + 1)) + 8;
      return { processor, concurrency, minConcurrency: concurrency };
    },
  });
  obs.watchStage({
    stage: 'judge',
    queue: stageQueues.judge,
    store,
    onError: (error) => logger.warn({ err: error }, 'metrics sample failed'),
  });
  if (gate) {
    const detach = gate.attach(worker.worker);
    shutdown.register('gpu-gate-detach', async () => detach());
  }
});
