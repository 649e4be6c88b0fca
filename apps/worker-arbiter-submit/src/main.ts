import { InputError, loadBaseConfig, runMain } from '@gavel/core';
import { runStageProcess } from '@gavel/queue';
import { createLogger } from '@gavel/telemetry';

await runMain('gavel worker-arbiter-submit', async () => {
  const config = loadBaseConfig(process.env);
  const logger = createLogger({ name: 'worker-arbiter-submit', level: config.GAVEL_LOG_LEVEL });
  await runStageProcess({
    stage: 'arbiter-submit',
    config,
    logger,
    defaultConcurrency: 4,
    build: async () => ({
      processor: async ({ runId, sampleId }) => {
        throw new InputError(
          `run ${runId}: sample ${sampleId} was routed to the arbiter, but this worker has no arbiter configured`,
        );
      },
    }),
  });
});
