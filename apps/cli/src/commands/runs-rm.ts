import { ArbiterStore } from '@gavel/arbiter';
import { GENERATE_BATCH_NS, STAGES } from '@gavel/core';
import { BatchStore } from '@gavel/queue';
import type { JobType } from 'bullmq';
import { CliError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';
import { openContext } from '../context.ts';
import { runJobIds } from '../reconcile/run-jobs.ts';

/** Every state a job can be in (a removed run leaves none behind). */
const ALL_STATES: readonly JobType[] = [
  'active',
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
];

export interface RemovedRun {
  run_id: string;
  jobs_removed: number;
  /** Active jobs that could not be removed (their worker holds the lock); only with `force`. */
  jobs_left_active: number;
  keys_removed: number;
  /** Images no remaining run shows, deleted with this one. */
  images_removed: number;
}

/**
 * Removes one run: its jobs in every stage queue, then the images no other run shows, its run-store keys and its arbiter batch
 * records (its cancelled duplicates' too), then its entry in the run list (last, so an interrupted removal can be run again).
 * Refuses while a job of the run is active, unless `force`.
 */
export async function removeRun(context: CliContext, runId: string, force: boolean): Promise<RemovedRun> {
  const active = [...(await runJobIds(context.queues, runId, ['active'])).values()].flat();
  if (active.length > 0 && !force) {
    throw new CliError(
      `gavel runs rm: run ${runId} has ${active.length} active job(s); wait for them (gavel wait ${runId}) or pass --force`,
      1,
    );
  }
  let jobsRemoved = 0;
  let leftActive = 0;
  for (const [stage, ids] of await runJobIds(context.queues, runId, ALL_STATES)) {
    for (const id of ids) {
      // 0: the job is locked by the worker running it.
      if ((await context.queues[stage].remove(id)) === 1) jobsRemoved += 1;
      else leftActive += 1;
    }
  }
  // Its batches and the duplicates it cancelled (the arbiter's, and the generate stage's batch
  // mode's) leave their global claimed set (their own keys are under the run's tag, removed with
  // the run's keys), before the run's keys say which they are.
  for (const batches of [new ArbiterStore(context.store), new BatchStore(context.store, GENERATE_BATCH_NS)]) {
    const batchIds = new Set([...(await batches.runBatches(runId)), ...(await batches.duplicates(runId))]);
    for (const batchId of batchIds) await context.redis.srem(batches.claimedKey, batchId);
  }
  const removed = await context.store.removeRun(runId);
  return {
    run_id: runId,
    jobs_removed: jobsRemoved,
    jobs_left_active: leftActive,
    keys_removed: removed.keys,
    images_removed: removed.images,
  };
}

function say(removed: RemovedRun): string {
  const left =
    removed.jobs_left_active > 0
      ? `; ${removed.jobs_left_active} active job(s) still running: they fail when they find no run (run gavel runs rm ${removed.run_id} again afterwards)`
      : '';
  return `run ${removed.run_id} removed: ${removed.jobs_removed} job(s) in ${STAGES.length} queues, ${removed.keys_removed} key(s), ${removed.images_removed} image(s) no other run shows${left}\n`;
}

/** `gavel runs rm RUN… [--force] [--json]`. */
export async function runsRmCommand(runIds: string[], options: { force: boolean; json: boolean }): Promise<void> {
  const context = openContext();
  try {
    for (const runId of runIds) {
      if (!(await context.store.findManifest(runId)) && !(await context.store.listRuns()).includes(runId)) {
        throw new CliError(`gavel runs rm: no run ${runId} (see gavel runs)`, 1);
      }
      const removed = await removeRun(context, runId, options.force);
      if (options.json) process.stdout.write(`${JSON.stringify(removed)}\n`);
      else process.stderr.write(say(removed));
    }
  } finally {
    await context.close();
  }
}
