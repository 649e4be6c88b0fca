import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { progressBar } from '../progress-bar.ts';
import { lostSamples } from '../reconcile/run-jobs.ts';

/** How long the run may stand still before `wait` looks for samples that no job will move on. */
const STILL_MS = 5_000;

/**
 * `gavel wait RUN [--timeout S]`: exit 0 once every sample has a verdict or a recorded failure.
 * While the run stands still it says how many undecided samples have no job in any queue (they
 * would wait for ever: `gavel reconcile RUN` gives them one).
 */
export async function waitCommand(runId: string, options: { timeout?: number; interval: number }): Promise<void> {
  const context = openContext();
  const bar = progressBar(`run ${runId}`);
  const deadline = options.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeout * 1000;
  try {
    const manifest = await context.store.findManifest(runId);
    if (!manifest) throw new CliError(`gavel wait: no run ${runId} (see gavel runs)`, 1);
    let lastEnded = -1;
    let stillSince = Date.now();
    let reportedLost = 0;
    const withoutJob = async (): Promise<number> =>
      (await lostSamples(context.store, context.queues, manifest)).lost.length;
    for (;;) {
      const p = await context.store.progress(runId);
      bar.update(p.ended, p.total);
      if (p.ended !== lastEnded) {
        lastEnded = p.ended;
        stillSince = Date.now();
      } else if (p.ended < p.total && Date.now() - stillSince >= STILL_MS) {
        stillSince = Date.now();
        const lost = await withoutJob();
        if (lost !== reportedLost) {
          reportedLost = lost;
          bar.stop();
          process.stderr.write(
            lost > 0
              ? `run ${runId}: ${lost} undecided sample(s) have no job in any queue; gavel reconcile ${runId} gives them one\n`
              : `run ${runId}: every undecided sample has a job again\n`,
          );
        }
      }
      if (p.total > 0 && p.ended >= p.total) {
        bar.stop();
        process.stderr.write(
          `run ${runId}: all ${p.total} sample(s) ended: ${p.verdicts} verdict(s), ${p.failed} failed\n`,
        );
        return;
      }
      if (Date.now() >= deadline) {
        bar.stop();
        const lost = await withoutJob();
        throw new CliError(
          `gavel wait: timed out after ${options.timeout}s with ${p.ended}/${p.total} sample(s) ended; ${lost} undecided sample(s) have no job${lost > 0 ? ` (gavel reconcile ${runId})` : ''}`,
          124,
        );
      }
      await sleep(options.interval);
    }
  } finally {
    bar.stop();
    await context.close();
  }
}
