import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBaseConfig } from '@gavel/core';
import { CliError } from '../cli-error.ts';
import { superviseWorkers } from '../worker-supervisor.ts';
import { dockerChecks, redisChecks } from './doctor.ts';
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
  const docker = await dockerChecks();
  const withCode = docker.every((c) => c.ok);
  const image = withCode ? await sandboxImage(config.GAVEL_DATA_DIR, docker) : undefined;
  const env: NodeJS.ProcessEnv = image
    ? { ...process.env, GAVEL_SANDBOX: 'docker', GAVEL_SANDBOX_IMAGE: image }
    : { ...process.env };
  let failWorker: (error: Error) => void = () => {};
  const workerFailed = new Promise<never>((_, reject) => {
    failWorker = reject;
  });
  workerFailed.catch(() => {});
  await mkdir(outDir, { recursive: true });
  const logPath = join(outDir, 'workers.log');
  const logFd = openSync(logPath, 'a');
  const say = (line: string) => process.stderr.write(`gavel demo: ${line}\n`);
  const supervisor = superviseWorkers({
    stages: ['sandbox', 'judge', 'arbiter-submit', 'arbiter-collect'],
    env,
    log: say,
    output: logFd,
    onConfigError: (stage) =>
      failWorker(new CliError(`gavel demo: worker-${stage} stopped on a configuration error; see ${logPath}`, 78)),
  });
  try {
    const dataset = join(DEMO_DIR, 'text-qa.jsonl');
    const lines = (await readFile(dataset, 'utf8')).trim().split('\n').length;
    say(`enqueuing ${lines} text samples from ${dataset}`);
    const runIds = [
      await enqueueCommand([dataset], {
        format: 'jsonl',
        rubricsDir: options.rubricsDir,
        skipInvalid: false,
        json: false,
      }),
    ];
    if (image) {
      say('enqueuing 16 HumanEval samples (8 canonical solutions, 8 wrong ones) for the Docker sandbox');
      runIds.push(
        await withEnv(env, () =>
          enqueueCommand([], {
            format: 'humaneval',
            problems: join(DEMO_DIR, 'humaneval-8.jsonl.gz'),
            samples: join(DEMO_DIR, 'humaneval-samples.jsonl'),
            sutModel: 'demo-coder',
            sutFamily: 'demo',
            rubricsDir: options.rubricsDir,
            skipInvalid: false,
            json: false,
          }),
        ),
      );
    } else {
      const reasons = docker.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      say(
        `skipping the code samples: no Docker sandbox (${reasons.join('; ')}); bash infra/bootstrap-docker sets it up`,
      );
    }
    const records: { verdict: { pass: boolean } | null }[] = [];
    for (const runId of runIds) {
      await Promise.race([waitCommand(runId, { timeout: options.timeout, interval: 250 }), workerFailed]);
      await statusCommand(runId, { json: false });
      const out = join(outDir, `${runId}.jsonl`);
      await exportCommand(runId, { out, pageSize: 500 });
      const exported = (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { verdict: { pass: boolean } | null });
      const passed = exported.filter((r) => r.verdict?.pass === true).length;
      say(`run ${runId}: ${passed}/${exported.length} samples passed — verdicts in ${out}`);
      records.push(...exported);
    }
    say(
      'text samples are graded facts-only (SQuAD exact match and token F1 against the references); code samples by their pytest facts from the sandbox',
    );
    say(`worker logs: ${logPath}`);
    say(`more: npx gavel runs · npx gavel status RUN · npx gavel export RUN`);
  } finally {
    await supervisor.stop('SIGTERM');
    closeSync(logFd);
  }
}

/** Runs `fn` with extra environment variables set (the producer reads the sandbox settings from it). */
async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.GAVEL_SANDBOX;
  process.env.GAVEL_SANDBOX = env.GAVEL_SANDBOX;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.GAVEL_SANDBOX;
    else process.env.GAVEL_SANDBOX = saved;
  }
}

/** The sandbox image bootstrap built (recorded in the data dir), else the newest gavel-sandbox tag. */
async function sandboxImage(dataDir: string, docker: { name: string; detail: string }[]): Promise<string | undefined> {
  try {
    const recorded = (await readFile(join(dataDir, 'sandbox-image'), 'utf8')).trim();
    if (recorded) return recorded;
  } catch {
    // not built by bootstrap here: fall back to what the engine has
  }
  return docker.find((c) => c.name === 'sandbox image')?.detail.split(', ')[0];
}
