import { EXIT_CONFIG, isStage, STAGES, type Stage } from '@gavel/core';
import { CliError } from '../cli-error.ts';
import { superviseWorkers } from '../worker-supervisor.ts';

export function parseStages(list: string | undefined): Stage[] {
  if (!list) return [...STAGES];
  const stages = list.split(',').map((s) => s.trim());
  for (const s of stages)
    if (!isStage(s)) throw new CliError(`--stages ${list}: "${s}" is not one of ${STAGES.join(', ')}`, 2);
  return stages as Stage[];
}

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type StopSignal = keyof typeof SIGNAL_NUMBERS;

/**
 * `gavel workers [--stages …] [--concurrency N]`: every stage as its own process (each in its own
 * process group), in the foreground. The first SIGINT/SIGTERM/SIGHUP is forwarded once, as SIGTERM,
 * to every worker: they drain (active jobs finish, or are returned at the shutdown deadline); a
 * second signal kills them. Exits 128 + the signal's number, as a process killed by it would; 78
 * when every worker stopped on a configuration error.
 */
export async function workersCommand(options: { stages?: string; concurrency?: number }): Promise<void> {
  const stages = parseStages(options.stages);
  const env = { ...process.env };
  if (options.concurrency !== undefined) env.GAVEL_CONCURRENCY = String(options.concurrency);
  const log = (line: string) => process.stderr.write(`gavel workers: ${line}\n`);
  let allMisconfigured: () => void = () => {};
  let misconfigured = 0;
  const onConfigError = (): void => {
    misconfigured += 1;
    if (misconfigured === stages.length) allMisconfigured();
  };
  const supervisor = superviseWorkers({ stages, env, log, detached: true, onConfigError });
  const stopped = await new Promise<StopSignal | 'misconfigured'>((resolve) => {
    allMisconfigured = () => resolve('misconfigured');
    const stop = (signal: StopSignal) => {
      for (const s of Object.keys(SIGNAL_NUMBERS) as StopSignal[]) process.removeListener(s, stop);
      log(`${signal}: stopping workers (they finish or return their active jobs)`);
      supervisor.stop('SIGTERM').then(
        () => resolve(signal),
        () => resolve(signal),
      );
      for (const s of Object.keys(SIGNAL_NUMBERS) as StopSignal[]) {
        process.once(s, () => {
          log('second signal: killing workers');
          supervisor.stop('SIGKILL').then(
            () => resolve(signal),
            () => resolve(signal),
          );
        });
      }
    };
    for (const s of Object.keys(SIGNAL_NUMBERS) as StopSignal[]) process.once(s, stop);
  });
  if (stopped === 'misconfigured') {
    throw new CliError('gavel workers: every worker stopped on a configuration error (see above)', EXIT_CONFIG);
  }
  log('all workers stopped');
  process.exitCode = 128 + SIGNAL_NUMBERS[stopped];
}
