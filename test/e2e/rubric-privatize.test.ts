import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanEvalProblems, sandboxImage } from '../integration/sandbox-fixtures.ts';
import { gavel, ROOT, startWorkers, type WorkersProcess } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// Contamination: an eval set of ten HumanEval problems fails the contamination gate (each is 100%
// covered by the shipped HumanEval index's 13-grams) until `gavel rubric privatize` rebuilds it in the
// sandbox image; the rebuilt set passes the gate, and the rebuilt tasks pass their own (renamed) tests
// with the renamed canonical solutions, run through the real pipeline and the Docker sandbox.

let redis: RedisServer;
let dir: string;
let env: NodeJS.ProcessEnv;
let workers: WorkersProcess;
let calibration: string;
let evalFile: string;

const TASKS = 10;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-privatize-'));
  env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'docker',
    GAVEL_SANDBOX_IMAGE: sandboxImage(),
    GAVEL_SANDBOX_CONCURRENCY: '2',
    GAVEL_JUDGE: 'facts',
  };
  workers = startWorkers(env, ['--stages', 'sandbox,judge']);
  // A three-sample calibration set keeps the run short (the gate under test is contamination), chosen so
  // that no weighted criterion is constant: good-2 is ruff-clean, good-0 is not, wrong-0 fails pyright.
  // (A set where every sample scored the same on a criterion fails the discriminative gate, rightly.)
  const shipped = (await readFile(join(ROOT, 'rubrics', 'calibration', 'code-humaneval.jsonl'), 'utf8')).split('\n');
  calibration = join(dir, 'calibration.jsonl');
  await writeFile(calibration, `${shipped.filter((l) => /"id": ?"(good-0|good-2|wrong-0)"/.test(l)).join('\n')}\n`);
  evalFile = join(dir, 'eval.jsonl');
  await writeFile(
    evalFile,
    humanEvalProblems()
      .slice(0, TASKS)
      .map((p) => `${JSON.stringify(p)}\n`)
      .join(''),
  );
});

afterAll(async () => {
  await workers?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function check(evalPath: string, name: string) {
  const out = join(dir, `${name}.json`);
  const cli = await gavel(
    ['rubric', 'check', 'code-correctness@1.1.0', '--calibration', calibration, '--eval', evalPath, '--out', out],
    env,
    900_000,
  );
  return { cli, report: JSON.parse(await readFile(out, 'utf8')) };
}

describe('contamination and gavel rubric privatize', () => {
  it('fails contamination on HumanEval tasks, passes once they are rebuilt; the rebuilt tasks pass their tests', {
    timeout: 1_500_000,
  }, async () => {
    const before = await check(evalFile, 'public');
    expect(before.cli.code).toBe(1);
    expect(before.cli.stderr).toMatch(/^gavel rubric check: contamination failed$/m);
    const c = before.report.gates.contamination;
    const evalFlagged = c.flagged.filter((f: { set: string }) => f.set === 'eval');
    expect(evalFlagged.map((f: { task_id: string }) => f.task_id)).toEqual(
      Array.from({ length: TASKS }, (_, i) => `HumanEval/${i}`),
    );
    expect(evalFlagged.every((f: { overlap: number }) => f.overlap === 1)).toBe(true);
    expect(c.reasons[0]).toMatch(
      /^10 eval task\(s\) overlap a public source at ≥ 0\.5 of their 13-grams: HumanEval\/0 \(100% ~ HumanEval\/0\)/,
    );
    expect(before.report.gates.discriminative.passed && before.report.gates.adversarial.passed).toBe(true);

    const rebuiltPath = join(dir, 'private.jsonl');
    const privatize = await gavel(['rubric', 'privatize', evalFile, '--out', rebuiltPath], env, 300_000);
    expect(privatize.code, privatize.stderr).toBe(0);
    expect(privatize.stdout.trim().split('\n')).toHaveLength(TASKS);
    for (const line of privatize.stdout.trim().split('\n')) {
      expect(line).toMatch(
        /^HumanEval\/\d+: rebuilt as private\/[0-9a-f]{8} \(\d+ example\(s\) recomputed, \d+\.\d% 13-gram overlap\)$/,
      );
    }
    const rebuilt = (await readFile(rebuiltPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const mapping = (await readFile(`${rebuiltPath}.mapping.jsonl`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const originals = humanEvalProblems().slice(0, TASKS);
    for (const [i, p] of rebuilt.entries()) {
      const original = originals[i];
      const m = mapping[i];
      expect(m.source_task_id).toBe(original?.task_id);
      expect(m.self_check).toBe('passed');
      expect(m.overlap).toBeLessThan(0.5);
      expect(p.entry_point).toBe(m.mapping[original?.entry_point ?? '']);
      // the original function name is gone from the rebuilt prompt, solution and tests
      expect(`${p.prompt}${p.canonical_solution}${p.test}`).not.toContain(original?.entry_point);
    }
    // HumanEval/0 by hand: its first example had every number shifted by the same offset, then its
    // answer recomputed: in [2.0, 3.0, 4.0], 2.0 and 3.0 are 1.0 apart, closer than 1.5 → True.
    expect(rebuilt[0].prompt).toContain(`>>> ${rebuilt[0].entry_point}([2.0, 3.0, 4.0], 1.5)\n    True\n`);
    expect(mapping[0].mapping).toMatchObject({ numbers: 'arg0', threshold: 'arg1' });

    const after = await check(rebuiltPath, 'private');
    expect(after.cli.code, after.cli.stdout + after.cli.stderr).toBe(0);
    expect(after.report.gates.contamination.flagged.filter((f: { set: string }) => f.set === 'eval')).toEqual([]);
    expect(after.report.gates.contamination.checked.eval).toBe(TASKS);

    // The rebuilt tasks, with their renamed canonical solutions, through the pipeline and the sandbox.
    const samples = join(dir, 'private-samples.jsonl');
    await writeFile(
      samples,
      rebuilt.map((p) => `${JSON.stringify({ task_id: p.task_id, completion: p.canonical_solution })}\n`).join(''),
    );
    const enq = await gavel(
      [
        'enqueue',
        '--format',
        'humaneval',
        '--problems',
        rebuiltPath,
        '--samples',
        samples,
        '--run',
        'private-run',
        '--sut-model',
        'reference',
        '--sut-family',
        'reference',
      ],
      env,
    );
    expect(enq.code, enq.stderr).toBe(0);
    expect((await gavel(['wait', 'private-run', '--timeout', '600'], env, 620_000)).code).toBe(0);
    const exported = join(dir, 'private-run.jsonl');
    expect((await gavel(['export', 'private-run', '--out', exported], env)).code).toBe(0);
    const records = (await readFile(exported, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(TASKS);
    for (const r of records) {
      expect(r.facts.tests, r.sample_id).toMatchObject({ passed: 1, total: 1, failed: 0, errors: 0 });
      expect(r.verdict.pass, r.sample_id).toBe(true);
    }
  });
});
