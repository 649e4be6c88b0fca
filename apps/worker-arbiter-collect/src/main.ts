import { createArbiterClients, createArbiterCollectStage, loadArbiterConfig } from '@gavel/arbiter';
import { loadBaseConfig, runMain } from '@gavel/core';
import { runStageProcess } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { createLogger } from '@gavel/telemetry';

await runMain('gavel worker-arbiter-collect', async () => {
  const config = loadBaseConfig(process.env);
  const arbiter = loadArbiterConfig(process.env);
  const logger = createLogger({ name: 'worker-arbiter-collect', level: config.GAVEL_LOG_LEVEL });
  await runStageProcess({
    stage: 'arbiter-collect',
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
        logger,
      }),
    }),
  });
});
