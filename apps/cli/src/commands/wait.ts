import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { progressBar } from '../progress-bar.ts';

/** `gavel wait RUN [--timeout S]`: exit 0 once every sample has a verdict or a recorded failure. */
export async function waitCommand(runId: string, options: { timeout?: number; interval: number }): Promise<void> {
  const context = openContext();
  const bar = progressBar(`run ${runId}`);
  const deadline = options.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeout * 1000;
  try {
    if (!(await context.store.findManifest(runId)))
      throw new CliError(`gavel wait: no run ${runId} (see gavel runs)`, 1);
    for (;;) {
      const p = await context.store.progress(runId);
      bar.update(p.ended, p.total);
      if (p.total > 0 && p.ended >= p.total) {
        bar.stop();
        process.stderr.write(
          `run ${runId}: all ${p.total} sample(s) ended: ${p.verdicts} verdict(s), ${p.failed} failed\n`,
        );
        return;
      }
      if (Date.now() >= deadline) {
        bar.stop();
        throw new CliError(
          `gavel wait: timed out after ${options.timeout}s with ${p.ended}/${p.total} sample(s) ended`,
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
