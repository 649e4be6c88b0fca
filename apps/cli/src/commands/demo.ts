import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadBaseConfig } from '@gavel/core';
import { redisTarget } from '@gavel/queue';
import { CliError } from '../cli-error.ts';
import { REPO_ROOT } from '../repo-root.ts';
import { superviseWorkers } from '../worker-supervisor.ts';
import { demoDecision } from './demo-decision.ts';
import { dockerChecks, redisChecks } from './doctor.ts';
import { enqueueCommand } from './enqueue.ts';
import { exportCommand } from './export.ts';
import { statusCommand } from './status.ts';
import { waitCommand } from './wait.ts';

const DEMO_DIR = join(REPO_ROOT, 'apps', 'cli', 'demo');
/** The HumanEval problems shipped in the repository (datasets/humaneval, MIT). */
const HUMANEVAL_PROBLEMS = join(REPO_ROOT, 'datasets', 'humaneval', 'HumanEval.jsonl.gz');
/** Problems in each bundled HumanEval run (HumanEval/0 … HumanEval/11). */
const DEMO_PROBLEMS = 12;
/** The base model's completions and the upgrade's (apps/cli/demo/README.md lists the known-wrong ones). */
const BASE = { model: 'demo-coder-1.0', samples: 'humaneval-base.jsonl' };
const CANDIDATE = { model: 'demo-coder-1.1', samples: 'humaneval-candidate.jsonl' };

/**
 * `gavel demo`: a user's day on the local Redis — start the four stage workers, grade the bundled
 * text dataset, then (with the Docker sandbox) a base model's and an upgraded model's HumanEval
 * completions; wait for every verdict, export them, and end with the comparison's decision line and
 * the review matrix to open.
 */
export async function demoCommand(options: { rubricsDir: string; timeout: number }): Promise<void> {
  const config = loadBaseConfig(process.env);
  const redis = await redisChecks(redisTarget(config));
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
    let pair: { base: string; candidate: string } | undefined;
    if (image) {
      say(
        `enqueuing two runs of ${DEMO_PROBLEMS} HumanEval problems for the Docker sandbox: a base model's completions (${BASE.model}, 3 known wrong) and an upgraded model's (${CANDIDATE.model}, 1 other known wrong)`,
      );
      const humaneval = (sut: typeof BASE) =>
        withEnv(env, () =>
          enqueueCommand([], {
            format: 'humaneval',
            problems: HUMANEVAL_PROBLEMS,
            samples: join(DEMO_DIR, sut.samples),
            sutModel: sut.model,
            sutFamily: 'demo',
            rubricsDir: options.rubricsDir,
            skipInvalid: false,
            json: false,
          }),
        );
      pair = { base: await humaneval(BASE), candidate: await humaneval(CANDIDATE) };
      runIds.push(pair.base, pair.candidate);
    } else {
      const reasons = docker.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      say(
        `skipping the code samples: no Docker sandbox (${reasons.join('; ')}); bash infra/bootstrap-docker sets it up`,
      );
    }
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
    }
    say(
      'text samples are graded facts-only (SQuAD exact match and token F1 against the references); code samples by their pytest facts from the sandbox',
    );
    if (pair) {
      const decision = await demoDecision(pair.base, pair.candidate, outDir, options.rubricsDir);
      say(`does ${CANDIDATE.model} ship? gavel compare ${pair.base} ${pair.candidate}:`);
      say(`  ${decision.decisionLine}`);
      say(
        `  regressions (pass → fail): ${decision.regressions.join(', ') || 'none'}; fixes (fail → pass): ${decision.fixes.join(', ') || 'none'} — all figures in ${decision.comparisonPath}`,
      );
      say(`review matrix to open: ${decision.reviewPath}`);
      const v = decision.verified;
      say(
        v.exitCode === 0
          ? `gavel verify ${pair.candidate}: all ${v.rederived} verdicts re-derived from the recorded facts and the pinned rubric match, rubric bytes and sandbox image as pinned`
          : `gavel verify ${pair.candidate}: exit ${v.exitCode}, ${v.mismatches} mismatch(es) — run it to see them`,
      );
    }
    say(`worker logs: ${logPath}`);
    say('more: npx gavel runs · npx gavel status RUN · npx gavel export RUN · npx gavel verify RUN');
  } finally {
    await supervisor.stop('SIGTERM');
    closeSync(logFd);
  }
}

/** Runs `fn` with the sandbox settings of `env` set (the producer reads them from the process environment). */
async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const keys = ['GAVEL_SANDBOX', 'GAVEL_SANDBOX_IMAGE'] as const;
  const saved = keys.map((k) => process.env[k]);
  for (const k of keys) {
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  try {
    return await fn();
  } finally {
    keys.forEach((k, i) => {
      const value = saved[i];
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    });
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
