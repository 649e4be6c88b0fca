import { isStage, STAGES, type Stage } from '@gavel/core';
import { retryFailedJobs } from '@gavel/runs';
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
    const counts = await retryFailedJobs(context.store, context.queues, runId, stages);
    for (const [stage, count] of Object.entries(counts)) {
      retried += count;
      if (count > 0) process.stderr.write(`${stage}: retried ${count} failed job(s)\n`);
    }
    process.stderr.write(`run ${runId}: ${retried} job(s) retried\n`);
  } finally {
    await context.close();
  }
}
