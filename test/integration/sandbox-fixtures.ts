import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { HumanEvalProblem, humanEvalSample, type PointwiseSample as Sample, SandboxRunConfig } from '@gavel/core';
import { loadSandboxConfig, type SandboxConfig } from '@gavel/sandbox';
import { sandboxWorkerPids } from '../support/gavel.ts';

const repo = new URL('../..', import.meta.url).pathname;
/** The HumanEval problems shipped in the repository (datasets/humaneval, MIT). */
export const HUMANEVAL = `${repo}datasets/humaneval/HumanEval.jsonl.gz`;

/** The sandbox image's content tag (built by infra/bootstrap-docker). */
export function sandboxImage(): string {
  return execFileSync('bash', [`${repo}sandbox/image-tag`], { encoding: 'utf8' }).trim();
}

export function sandboxConfig(env: Record<string, string> = {}): SandboxConfig {
  return loadSandboxConfig({ GAVEL_SANDBOX_IMAGE: sandboxImage(), ...env });
}

export function humanEvalProblems(): HumanEvalProblem[] {
  return gunzipSync(readFileSync(HUMANEVAL))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => HumanEvalProblem.parse(JSON.parse(l)));
}

export const SUT = { model: 'test-model', family: 'test' };

export function canonicalSample(p: HumanEvalProblem, i = 0): Sample {
  return humanEvalSample(p, p.canonical_solution ?? '', `he-${i}`, SUT);
}

export function limits(over: Partial<SandboxRunConfig> = {}): SandboxRunConfig {
  return SandboxRunConfig.parse({ backend: 'docker', ...over });
}

/**
 * Names of gavel's containers still known to the engine (`docker ps -a --filter label=gavel=sandbox`)
 * owned by `owner` (the process that ran the sandbox). Other sessions may run sandboxes on the same
 * engine at the same time: a test counts only its own processes' containers.
 */
export function gavelContainers(owner: number = process.pid): string[] {
  return execFileSync(
    'docker',
    ['ps', '-a', '--filter', 'label=gavel=sandbox', '--format', '{{.Names}} {{.Label "gavel.owner"}}'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .filter(([, o]) => Number(o) === owner)
    .map(([name]) => name as string);
}

/**
 * The gavel containers still on the engine made by the worker-sandbox processes that `gavel workers`
 * logged starting in `output`: what this test's own workers left, whatever other sessions on the
 * shared engine leave meanwhile.
 */
export function containersLeftBy(output: string): string[] {
  const pids = sandboxWorkerPids(output);
  if (pids.length === 0) throw new Error(`no worker-sandbox started in the output:\n${output}`);
  return pids.flatMap((pid) => gavelContainers(pid));
}

/**
 * This process's execution containers by state. With containers made ahead, a live sandbox keeps one
 * per execution slot `created` and never started; every container that ran a sample is removed.
 */
export function execContainerStates(owner: number = process.pid): string[] {
  const exec = gavelContainers(owner).filter((name) => name.startsWith('gavel-exec'));
  if (exec.length === 0) return [];
  return execFileSync('docker', ['inspect', '--format', '{{.State.Status}}', ...exec], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** The first `count` HumanEval problems as code samples `code-<i>`: even i the canonical solution (passes), odd i `return None` (fails). */
export function passFailCodeSamples(count: number): Sample[] {
  return humanEvalProblems()
    .slice(0, count)
    .map((p, i) =>
      humanEvalSample(p, i % 2 === 0 ? (p.canonical_solution ?? '') : '    return None\n', `code-${i}`, {
        model: 'acme-7b',
        family: 'acme',
      }),
    );
}
