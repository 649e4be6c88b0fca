import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBaseConfig } from '@gavel/core';
import { CliError } from '../cli-error.ts';
import { superviseWorkers } from '../worker-supervisor.ts';
import { redisChecks } from './doctor.ts';
import { enqueueCommand } from './enqueue.ts';
import { exportCommand } from './export.ts';
import { statusCommand } from './status.ts';
import { waitCommand } from './wait.ts';

const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'demo');

/**
 * `gavel demo`: a bundled run end to end on the local Redis — start the four stage workers,
 * enqueue the demo dataset, wait for every verdict, export them and print where they are.
 */
export async function demoCommand(options: { rubricsDir: string; timeout: number }): Promise<void> {
  const config = loadBaseConfig(process.env);
  const redis = await redisChecks(config.GAVEL_REDIS_URL);
  const down = redis.find((c) => !c.ok && c.name === 'redis');
  if (down) throw new CliError(`gavel demo: ${down.detail} — ${down.fix}`, 1);
  const outDir = resolve(config.GAVEL_DATA_DIR, 'demo');
  await mkdir(outDir, { recursive: true });
  const logPath = join(outDir, 'workers.log');
  const logFd = openSync(logPath, 'a');
  const say = (line: string) => process.stderr.write(`gavel demo: ${line}\n`);
  const supervisor = superviseWorkers({
    stages: ['sandbox', 'judge', 'arbiter-submit', 'arbiter-collect'],
    env: process.env,
    log: say,
    output: logFd,
  });
  try {
    const dataset = join(DEMO_DIR, 'text-qa.jsonl');
    const lines = (await readFile(dataset, 'utf8')).trim().split('\n').length;
    say(`enqueuing ${lines} text samples from ${dataset}`);
    const runId = await enqueueCommand([dataset], {
      format: 'jsonl',
      rubricsDir: options.rubricsDir,
      skipInvalid: false,
      json: false,
    });
    await waitCommand(runId, { timeout: options.timeout, interval: 250 });
    await statusCommand(runId, { json: false });
    const out = join(outDir, `${runId}.jsonl`);
    await exportCommand(runId, { out, pageSize: 500 });
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { verdict: { pass: boolean } | null });
    const passed = records.filter((r) => r.verdict?.pass === true).length;
    say(
      `${passed}/${records.length} samples passed (facts-only judge: SQuAD exact match and token F1 against the references)`,
    );
    say(`verdicts: ${out}`);
    say(`worker logs: ${logPath}`);
    say(`more: npx gavel status ${runId} · npx gavel export ${runId} · npx gavel runs`);
  } finally {
    await supervisor.stop('SIGTERM');
    closeSync(logFd);
  }
}
