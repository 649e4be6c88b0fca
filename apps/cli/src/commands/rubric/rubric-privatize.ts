import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HumanEvalProblem, loadBaseConfig, readDatasetFile } from '@gavel/core';
import { ngramIndex, overlapWith } from '@gavel/rubric';
import { sandboxImageTag } from '@gavel/runs';
import { z } from 'zod';
import { CliError } from '../../cli-error.ts';
import { REPO_ROOT } from '../../repo-root.ts';
import { readPublicSource } from './public-sources.ts';
import { shippedPublicIndex } from './rubric-check.ts';

const SCRIPT = join(REPO_ROOT, 'sandbox', 'privatize.py');

export const PrivatizedTask = z.object({
  source_task_id: z.string().nullable(),
  problem: HumanEvalProblem.extend({ canonical_solution: z.string() }).nullable(),
  mapping: z.record(z.string(), z.string()).nullable(),
  examples: z.number().int(),
  self_check: z.string().nullable(),
  error: z.string().nullable(),
});
export type PrivatizedTask = z.infer<typeof PrivatizedTask>;

export interface PrivatizeOptions {
  out: string;
  mapping?: string;
  rubricsDir: string;
  public?: string[];
  ngram: number;
  threshold: number;
  timeout: number;
}

/**
 * Runs sandbox/privatize.py in the sandbox image — no network, read-only root, non-root, no
 * capabilities — with the problems on stdin; returns its one result per problem.
 */
export async function privatizeInSandbox(
  image: string,
  problemsJsonl: string,
  timeoutS: number,
): Promise<PrivatizedTask[]> {
  const script = await readFile(SCRIPT, 'utf8');
  const args = [
    'run',
    '--rm',
    '-i',
    '--network',
    'none',
    '--read-only',
    '--user',
    '65534:65534',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--pids-limit',
    '64',
    '--memory',
    '512m',
    '--tmpfs',
    '/tmp:size=16m',
    '--label',
    'gavel=sandbox',
    '--entrypoint',
    'python3',
    image,
    '-c',
    script,
  ];
  const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
    child.stdin.end(problemsJsonl);
  }).finally(() => clearTimeout(timer));
  if (code !== 0) {
    throw new CliError(
      `gavel rubric privatize: the sandbox container failed (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`,
      1,
    );
  }
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => PrivatizedTask.parse(JSON.parse(l)));
}

/**
 * `gavel rubric privatize FILE --out OUT`: rebuilds every HumanEval-style problem of FILE (renamed
 * function, parameters and locals; docstring examples with new values from the canonical solution;
 * tests renamed to match), checks each rebuilt task for overlap again, and writes the problems to
 * OUT and the mapping (old → new names per task) to `--mapping` (default OUT.mapping.jsonl).
 * Exits 1 when a task could not be rebuilt, its rebuilt canonical solution fails its rebuilt tests,
 * or it still overlaps a public source.
 */
export async function rubricPrivatizeCommand(file: string, options: PrivatizeOptions): Promise<void> {
  const input = await readDatasetFile(file).catch(() => {
    throw new CliError(`gavel rubric privatize: cannot read ${file}`, 1);
  });
  const problems: HumanEvalProblem[] = [];
  input.text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const parsed = HumanEvalProblem.safeParse(JSON.parse(raw));
    if (!parsed.success || !parsed.data.canonical_solution) {
      const issue = parsed.success
        ? { path: ['canonical_solution'], message: 'needed to recompute examples' }
        : parsed.error.issues[0];
      throw new CliError(`${file}:${i + 1}: ${issue?.path.join('.')}: ${issue?.message}`, 1);
    }
    problems.push(parsed.data);
  });
  const image = await sandboxImageTag(process.env, loadBaseConfig(process.env).GAVEL_DATA_DIR);
  if (!image)
    throw new CliError(
      'gavel rubric privatize: no sandbox image (set GAVEL_SANDBOX_IMAGE or run bash infra/bootstrap)',
      78,
    );
  const results = await privatizeInSandbox(image, problems.map((p) => JSON.stringify(p)).join('\n'), options.timeout);
  const sources = [];
  for (const path of [shippedPublicIndex(options.rubricsDir), ...(options.public ?? [])])
    sources.push(await readPublicSource(path));
  const rebuilt = results.flatMap((r) => (r.problem ? [r.problem] : []));
  const index = ngramIndex(sources, options.ngram);
  const overlaps = new Map(rebuilt.map((p) => [p.task_id, overlapWith(p.prompt, index)]));
  await writeFile(options.out, rebuilt.map((p) => `${JSON.stringify(p)}\n`).join(''));
  const mappingPath = options.mapping ?? `${options.out}.mapping.jsonl`;
  await writeFile(
    mappingPath,
    results
      .map((r) => {
        const o = r.problem ? overlaps.get(r.problem.task_id) : undefined;
        return `${JSON.stringify({ source_task_id: r.source_task_id, task_id: r.problem?.task_id ?? null, mapping: r.mapping, examples: r.examples, self_check: r.self_check, error: r.error, overlap: o?.overlap ?? null })}\n`;
      })
      .join(''),
  );
  let problemsFound = 0;
  for (const r of results) {
    const o = r.problem ? overlaps.get(r.problem.task_id) : undefined;
    const f = o && o.overlap >= options.threshold ? o : undefined;
    const status = r.error
      ? `not rebuilt: ${r.error}`
      : r.self_check !== 'passed'
        ? `rebuilt, but its canonical solution ${r.self_check}`
        : f
          ? `rebuilt, still public: ${(f.overlap * 100).toFixed(1)}% ${options.ngram}-gram overlap with ${f.match?.task}`
          : `rebuilt as ${r.problem?.task_id} (${r.examples} example(s) recomputed, ${((o?.overlap ?? 0) * 100).toFixed(1)}% ${options.ngram}-gram overlap)`;
    if (r.error || r.self_check !== 'passed' || f) problemsFound += 1;
    process.stdout.write(`${r.source_task_id}: ${status}\n`);
  }
  process.stderr.write(
    `gavel rubric privatize: ${rebuilt.length}/${results.length} task(s) written to ${options.out}, mapping in ${mappingPath}\n`,
  );
  if (problemsFound > 0) {
    process.stderr.write(`gavel rubric privatize: ${problemsFound} task(s) need attention (see above)\n`);
    process.exitCode = 1;
  }
}
