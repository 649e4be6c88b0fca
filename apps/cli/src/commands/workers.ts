import { isStage, STAGES, type Stage } from '@gavel/core';
import { CliError } from '../cli-error.ts';
import { superviseWorkers } from '../worker-supervisor.ts';

export function parseStages(list: string | undefined): Stage[] {
  if (!list) return [...STAGES];
  const stages = list.split(',').map((s) => s.trim());
  for (const s of stages)
    if (!isStage(s)) throw new CliError(`--stages ${list}: "${s}" is not one of ${STAGES.join(', ')}`, 2);
  return stages as Stage[];
}

/**
 * `gavel workers [--stages …] [--concurrency N]`: every stage as its own process, in the
 * foreground; SIGINT/SIGTERM stop them gracefully (active jobs finish or are returned).
 */
export async function workersCommand(options: { stages?: string; concurrency?: number }): Promise<void> {
  const stages = parseStages(options.stages);
  const env = { ...process.env };
  if (options.concurrency !== undefined) env.GAVEL_CONCURRENCY = String(options.concurrency);
  const log = (line: string) => process.stderr.write(`gavel workers: ${line}\n`);
  const supervisor = superviseWorkers({ stages, env, log });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log(`${signal}: stopping workers (they finish or return their active jobs)`);
      supervisor.stop('SIGTERM').then(resolve, resolve);
      process.once(signal, () => {
        log('second signal: killing workers');
        supervisor.stop('SIGKILL').then(resolve, resolve);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('all workers stopped');
}
