import { loadBaseConfig, runMain } from '@gavel/core';
import { createFactsGrader, createJudgeStage } from '@gavel/judge';
import { runStageProcess } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { createLogger } from '@gavel/telemetry';

await runMain('gavel worker-judge', async () => {
  const config = loadBaseConfig(process.env);
  const logger = createLogger({ name: 'worker-judge', level: config.GAVEL_LOG_LEVEL });
  await runStageProcess({
    stage: 'judge',
    config,
    logger,
    defaultConcurrency: 32,
    build: async ({ queues, store, shutdown }) => {
      const grader = createFactsGrader();
      shutdown.register('grader', () => grader.close());
      const rubrics = createRubricCache((key) => store.getRubricText(key));
      return { processor: createJudgeStage({ grader, rubrics, arbiterSubmit: queues['arbiter-submit'] }) };
    },
  });
});
