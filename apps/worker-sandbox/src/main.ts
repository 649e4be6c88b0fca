import { loadBaseConfig, runMain } from '@gavel/core';
import { runStageProcess } from '@gavel/queue';
import { createSandboxStage } from '@gavel/sandbox';
import { createLogger } from '@gavel/telemetry';

await runMain('gavel worker-sandbox', async () => {
  const config = loadBaseConfig(process.env);
  const logger = createLogger({ name: 'worker-sandbox', level: config.GAVEL_LOG_LEVEL });
  await runStageProcess({
    stage: 'sandbox',
    config,
    logger,
    defaultConcurrency: 32,
    build: async ({ queues }) => ({ processor: createSandboxStage({ judge: queues.judge }) }),
  });
});
