import type { Stage } from '@gavel/core';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { lostSamples, restoreJob, stageJobId } from '../reconcile/run-jobs.ts';

/**
 * `gavel reconcile RUN [--dry-run] [--json]`: every sample with neither a verdict nor a failure
 * and no live job in any queue gets the job that moves it on, derived from the run store (see
 * `nextJob`). Idempotent: a sample that has a job, or gets one meanwhile, is left alone.
 */
export async function reconcileCommand(runId: string, options: { dryRun: boolean; json: boolean }): Promise<void> {
  const context = openContext();
  try {
    const manifest = await context.store.findManifest(runId);
    if (!manifest) throw new CliError(`gavel reconcile: no run ${runId} (see gavel runs)`, 1);
    const { undecided, lost } = await lostSamples(context.store, context.queues, manifest);
    const restored: Partial<Record<Stage, number>> = {};
    const stuck: { sample_id: string; reason: string }[] = [];
    for (const { sampleId, next } of lost) {
      if (next.kind === 'stuck') stuck.push({ sample_id: sampleId, reason: next.reason });
      if (next.kind !== 'job') continue;
      const jobId = stageJobId(next.stage, runId, sampleId, next.attempt);
      if (!options.dryRun) await restoreJob(context.queues[next.stage], runId, sampleId, jobId);
      restored[next.stage] = (restored[next.stage] ?? 0) + 1;
    }
    const total = Object.values(restored).reduce((a, b) => a + b, 0);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ run_id: runId, undecided, without_job: lost.length, restored, stuck, dry_run: options.dryRun })}\n`,
      );
    } else {
      const verb = options.dryRun ? 'would restore' : 'restored';
      const perStage = Object.entries(restored).map(([stage, n]) => `${stage} ${n}`);
      process.stderr.write(
        `run ${runId}: ${undecided} undecided sample(s), ${lost.length} without a job; ${verb} ${total} job(s)${perStage.length ? ` (${perStage.join(', ')})` : ''}\n`,
      );
      for (const s of stuck) process.stderr.write(`  ${s.sample_id}: ${s.reason}\n`);
    }
    if (stuck.length > 0) process.exitCode = 1;
  } finally {
    await context.close();
  }
}
