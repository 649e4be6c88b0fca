import { parseEnv } from '@gavel/core';
import { z } from 'zod';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { LIVE_STATES, runJobIds } from '../reconcile/run-jobs.ts';
import { removeRun } from './runs-rm.ts';

/** The retention setting: runs older than this many days are removed by `gavel runs prune`. */
export const RetentionEnv = z.object({
  GAVEL_RETENTION_DAYS: z.coerce.number().positive().optional(),
});
export type RetentionEnv = z.infer<typeof RetentionEnv>;

const DAY_MS = 86_400_000;

/**
 * `gavel runs prune [--older-than DAYS] [--dry-run] [--json]`: removes every run created more than
 * DAYS ago (default `GAVEL_RETENTION_DAYS`), as `gavel runs rm` does. A run that still has a job
 * waiting or running is kept (it is not finished) and named.
 */
export async function runsPruneCommand(options: { olderThan?: number; dryRun: boolean; json: boolean }): Promise<void> {
  const days = options.olderThan ?? parseEnv(RetentionEnv, process.env).GAVEL_RETENTION_DAYS;
  if (days === undefined) {
    throw new CliError('gavel runs prune: give --older-than DAYS or set GAVEL_RETENTION_DAYS', 2);
  }
  const context = openContext();
  try {
    const cutoff = Date.now() - days * DAY_MS;
    let removed = 0;
    for (const runId of await context.store.runsCreatedBefore(cutoff)) {
      const live = [...(await runJobIds(context.queues, runId, LIVE_STATES)).values()].flat().length;
      if (live > 0) {
        process.stderr.write(`run ${runId} kept: ${live} job(s) still waiting or running\n`);
        continue;
      }
      removed += 1;
      if (options.dryRun) {
        process.stderr.write(`run ${runId} would be removed\n`);
        continue;
      }
      const result = await removeRun(context, runId, false);
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    }
    process.stderr.write(`${removed} run(s) older than ${days} day(s) ${options.dryRun ? 'would be ' : ''}removed\n`);
  } finally {
    await context.close();
  }
}
