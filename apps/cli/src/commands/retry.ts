import { isStage, parseJobId, STAGES, type Stage } from '@gavel/core';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';

/**
 * `gavel retry RUN [--stage S]`: retries the run's failed jobs (all stages, or one); each sample
 * runs that stage again and continues down the pipeline.
 */
export async function retryCommand(runId: string, options: { stage?: string }): Promise<void> {
  if (options.stage !== undefined && !isStage(options.stage)) {
    throw new CliError(`--stage ${options.stage}: expected one of ${STAGES.join(', ')}`, 2);
  }
  const stages: Stage[] = options.stage ? [options.stage as Stage] : [...STAGES];
  const context = openContext();
  let retried = 0;
  try {
    if (!(await context.store.findManifest(runId)))
      throw new CliError(`gavel retry: no run ${runId} (see gavel runs)`, 1);
    for (const stage of stages) {
      const queue = context.queues[stage];
      const failed = [];
      for (let start = 0; ; start += 500) {
        const page = await queue.getFailed(start, start + 499);
        if (page.length === 0) break;
        failed.push(...page.filter((job) => job.id !== undefined && parseJobId(job.id)?.runId === runId));
      }
      for (const job of failed) {
        await context.store.clearFailure(runId, job.data.sampleId);
        await job.retry('failed');
        retried += 1;
      }
      if (failed.length > 0) process.stderr.write(`${stage}: retried ${failed.length} failed job(s)\n`);
    }
    process.stderr.write(`run ${runId}: ${retried} job(s) retried\n`);
  } finally {
    await context.close();
  }
}
