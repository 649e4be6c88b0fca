import { type RunStatus, runStatus } from '@gavel/runs/progress';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function formatStatus(status: RunStatus, tty: boolean): string {
  const lines = [
    `run ${status.run_id}: ${status.ended}/${status.total} ended (${status.verdicts} verdict(s), ${status.failed} failed)`,
    `${'stage'.padEnd(16)}${'waiting'.padStart(9)}${'active'.padStart(8)}${'done'.padStart(8)}${'failed'.padStart(8)}`,
  ];
  for (const s of status.stages) {
    const row = `${s.stage.padEnd(16)}${String(s.waiting).padStart(9)}${String(s.active).padStart(8)}${String(s.done).padStart(8)}${String(s.failed).padStart(8)}`;
    lines.push(tty && s.entered > 0 ? `${row}  ${bar(s.done + s.failed, s.entered)}` : row);
  }
  return `${lines.join('\n')}\n`;
}

/** `gavel status RUN [--json]`. */
export async function statusCommand(runId: string, options: { json: boolean }): Promise<void> {
  const context = openContext();
  try {
    if (!(await context.store.findManifest(runId)))
      throw new CliError(`gavel status: no run ${runId} (see gavel runs)`, 1);
    const status = await runStatus(runId, context.store, context.queues);
    process.stdout.write(
      options.json ? `${JSON.stringify(status)}\n` : formatStatus(status, process.stdout.isTTY === true),
    );
  } finally {
    await context.close();
  }
}
