import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { restoreLostJobs } from '../reconcile/run-jobs.ts';

/**
 * `gavel reconcile RUN [--dry-run] [--json]`: every sample with neither a verdict nor a failure
 * and no live job in any queue gets the job that moves it on, derived from the run store (see
 * `nextJob`). Idempotent: a sample that has a job, or gets one meanwhile, is left alone.
 */
export async function reconcileCommand(runId: string, options: { dryRun: boolean; json: boolean }): Promise<void> {
  const context = openContext();
  try {
    const manifest = await context.store.findManifest(runId);
    if (!manifest) {
      const listed = (await context.store.listRuns()).includes(runId);
      throw new CliError(
        listed
          ? `gavel reconcile: run ${runId} is listed but has no manifest (its producer stopped between listing it and writing it); enqueue it again with --run ${runId}, or remove it with gavel runs rm ${runId}`
          : `gavel reconcile: no run ${runId} (see gavel runs)`,
        1,
      );
    }
    const { undecided, lost, restored, stuck } = await restoreLostJobs(
      context.store,
      context.queues,
      manifest,
      options.dryRun,
    );
    const total = Object.values(restored).reduce((a, b) => a + b, 0);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ run_id: runId, undecided, without_job: lost, restored, stuck, dry_run: options.dryRun })}\n`,
      );
    } else {
      const verb = options.dryRun ? 'would restore' : 'restored';
      const perStage = Object.entries(restored).map(([stage, n]) => `${stage} ${n}`);
      process.stderr.write(
        `run ${runId}: ${undecided} undecided sample(s), ${lost} without a job; ${verb} ${total} job(s)${perStage.length ? ` (${perStage.join(', ')})` : ''}\n`,
      );
      for (const s of stuck) process.stderr.write(`  ${s.sample_id}: ${s.reason}\n`);
    }
    if (stuck.length > 0) process.exitCode = 1;
  } finally {
    await context.close();
  }
}
