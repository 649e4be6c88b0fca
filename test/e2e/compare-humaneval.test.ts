import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Comparison } from '@gavel/report';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersLeftBy, HUMANEVAL, sandboxImage } from '../integration/sandbox-fixtures.ts';
import { gavel, ROOT, startWorkers } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// The fixture pair (test/fixtures/humaneval-pair/README.md): 24 HumanEval problems, base and
// candidate each with a known set of wrong completions, graded through real worker processes and
// the real Docker sandbox, then compared by `gavel compare` from the run store and from export files.

const FIXTURE = join(ROOT, 'test', 'fixtures', 'humaneval-pair');
/** Where the comparison of the last run is kept for a reader (ignored by git). */
const OUT = join(ROOT, 'test', 'e2e', 'artifacts', 'compare-humaneval');
const TASKS = 24;
const BASE_WRONG = [2, 5, 11, 17];
const CANDIDATE_WRONG = [5, 8, 13, 17, 20, 21];
const REGRESSIONS = [8, 13, 20, 21];
const FIXES = [2, 11];

let redis: RedisServer;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-compare-'));
  env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'docker',
    GAVEL_SANDBOX_IMAGE: sandboxImage(),
    GAVEL_SANDBOX_CONCURRENCY: '2',
    GAVEL_JUDGE: 'facts',
  };
});

afterAll(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function enqueue(run: string, file: string, model: string): Promise<void> {
  const args = ['enqueue', '--format', 'humaneval', '--problems', HUMANEVAL, '--samples', join(FIXTURE, file)];
  const result = await gavel([...args, '--run', run, '--sut-model', model, '--sut-family', 'acme'], env);
  expect(result.code, result.stderr).toBe(0);
}

async function compare(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return gavel(['compare', ...args], env);
}

/** Exact two-sided McNemar p by hand: 2 · Σ_{k ≤ min(b,c)} C(b+c, k) / 2^(b+c), capped at 1. */
function exactMcNemar(b: number, c: number): number {
  const n = b + c;
  const choose = (k: number) => {
    let r = 1;
    for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
    return r;
  };
  let tail = 0;
  for (let k = 0; k <= Math.min(b, c); k++) tail += choose(k);
  return Math.min(1, (2 * tail) / 2 ** n);
}

describe('gavel compare on two HumanEval runs through the Docker sandbox', () => {
  it('lists exactly the known regressions and fixes, the exact McNemar p, and gates on --max-drop', {
    timeout: 900_000,
  }, async () => {
    await enqueue('he-base', 'base.jsonl', 'base-model');
    await enqueue('he-cand', 'candidate.jsonl', 'cand-model');
    const workers = startWorkers(env);
    try {
      for (const run of ['he-base', 'he-cand']) {
        const waited = await gavel(['wait', run, '--timeout', '600'], env, 620_000);
        expect(waited.code, waited.stderr + workers.output()).toBe(0);
      }
    } finally {
      await workers.stop();
    }

    const result = await compare(['he-base', 'he-cand', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const c = Comparison.parse(JSON.parse(result.stdout));
    const ids = (tasks: number[]) => tasks.map((i) => `HumanEval/${i}`);
    expect(c.regressions.map((f) => f.task_id)).toEqual(ids(REGRESSIONS));
    expect(c.fixes.map((f) => f.task_id)).toEqual(ids(FIXES));
    for (const flip of [...c.regressions, ...c.fixes]) {
      const i = flip.task_id.split('/')[1];
      expect([flip.base_sample_id, flip.candidate_sample_id]).toEqual([`base-${i}`, `cand-${i}`]);
    }
    expect(c.regressions[0]?.changed_facts).toContainEqual({
      fact: 'tests',
      base: '1/1 passed',
      candidate: '0/1 passed',
    });
    expect(c.only_in_base).toEqual([]);
    expect(c.only_in_candidate).toEqual([]);
    expect(c.failed_in_either).toEqual([]);
    expect(c.like_for_like).toBe(true);
    expect(c.base).toMatchObject({ run_id: 'he-base', n: TASKS });
    expect(c.base.pass_rate).toBeCloseTo((TASKS - BASE_WRONG.length) / TASKS, 12);
    expect(c.candidate.pass_rate).toBeCloseTo((TASKS - CANDIDATE_WRONG.length) / TASKS, 12);
    expect(c.manifest_diff).toContainEqual({ field: 'sut.model', base: 'base-model', candidate: 'cand-model' });

    // b = 4 regressions, c = 2 fixes: 2·(C(6,0) + C(6,1) + C(6,2))/2^6 = 2·(1 + 6 + 15)/64 = 44/64.
    expect(exactMcNemar(4, 2)).toBe(44 / 64);
    expect(c.mcnemar).toEqual({ b: 4, c: 2, p_value: 44 / 64, method: 'exact' });

    // The paired difference by hand: d = −1 on 4 tasks, +1 on 2, 0 on 18; d̄ = −2/24.
    // Σ(d − d̄)² = 18·(1/12)² + 4·(11/12)² + 2·(13/12)² = (18 + 484 + 338)/144 = 840/144;
    // SE = √(840/144 / 23 / 24) = .102799; lower end = −.083333 − 1.959964·.102799 = −.284816.
    const se = Math.sqrt(840 / 144 / 23 / 24);
    const lower = -2 / 24 - 1.959964 * se;
    expect(c.delta_pass_rate).toBeCloseTo(-2 / 24, 12);
    expect(c.delta_pass_rate_se).toBeCloseTo(se, 10);
    expect(c.delta_pass_rate_ci95?.[0]).toBeCloseTo(lower, 5);
    expect(lower).toBeCloseTo(-0.284816, 5);

    // The score interval decides (one sample per task). As a paired table with the candidate first:
    // a = 16 pass in both, b = 2 fixes, c = 4 regressions, d = 2 (HumanEval/5, /17) fail in both.
    // p₁ = 18/24 = .75, p₂ = 20/24 = .833333; φ̂ = (16·2 − 2·4)/√(18·6·20·4) = 24/√8640 = 24/92.951600 = .258199.
    // Wilson (z² = 3.841459, 2(n + z²) = 55.682918):
    //   18/24: (39.841459 − 1.959964·√(z² + 72·.25) = 1.959964·4.673485 = 9.159862)/55.682918 = .551006;
    //   20/24: (43.841459 + 1.959964·√(z² + 80/6) = 1.959964·4.144248 = 8.122577)/55.682918 = .933213.
    // p₁ − l₁ = .198994, u₂ − p₂ = .099880;
    // δ = √(.198994² − 2·.258199·.198994·.099880 + .099880²) = √.039311 = .198270;
    // lower end = −.083333 − .198270 = −.281604.
    const l1 = (39.841459 - 1.959964 * Math.sqrt(3.841459 + 18)) / 55.682918;
    const u2 = (43.841459 + 1.959964 * Math.sqrt(3.841459 + 80 / 6)) / 55.682918;
    const phi = 24 / Math.sqrt(18 * 6 * 20 * 4);
    const [dl1, du2] = [0.75 - l1, u2 - 20 / 24];
    const scoreLower = -2 / 24 - Math.sqrt(dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2);
    expect(scoreLower).toBeCloseTo(-0.281604, 5);
    expect(c.delta_pass_rate_ci95_score?.[0]).toBeCloseTo(scoreLower, 5);
    expect(c.decision).toMatchObject({ outcome: 'no significant change', interval: 'score' });

    // A drop of more than 28 points is not ruled out (lower end −28.16): exit 3. More than 29 is: exit 0.
    const blocked = await compare(['he-base', 'he-cand', '--max-drop', '28']);
    expect(blocked.code, blocked.stderr).toBe(3);
    expect(blocked.stdout).toMatch(
      /decision: no significant change — 95% score interval .*ship BLOCKED \(max drop 28 pts\)/,
    );
    expect(blocked.stderr).toMatch(/^gavel compare: ship blocked: /);
    const allowed = await compare(['he-base', 'he-cand', '--max-drop', '29', '--out', OUT]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/ship ok \(max drop 29 pts\)/);
    expect(await readFile(join(OUT, 'comparison.txt'), 'utf8')).toBe(allowed.stdout);
    const written = Comparison.parse(JSON.parse(await readFile(join(OUT, 'comparison.json'), 'utf8')));
    expect(written.decision).toMatchObject({ max_drop_pts: 29, ship_blocked: false });

    // The same comparison from the two export files gives the same figures.
    for (const run of ['he-base', 'he-cand']) {
      const exported = await gavel(['export', run, '--out', join(dir, `${run}.jsonl`)], env);
      expect(exported.code, exported.stderr).toBe(0);
    }
    const files = [join(dir, 'he-base.jsonl'), join(dir, 'he-cand.jsonl')];
    const fromExport = await compare([...files, '--from-export', '--json']);
    expect(fromExport.code, fromExport.stderr).toBe(0);
    expect(JSON.parse(fromExport.stdout)).toEqual(JSON.parse(result.stdout));
    expect((await compare([...files, '--from-export', '--max-drop', '28'])).code).toBe(3);

    // A candidate graded on another rubric hash is refused in one line naming both hashes.
    const lines = (await readFile(files[1] as string, 'utf8')).trim().split('\n');
    const hash = JSON.parse(lines[0] as string).rubric.hash as string;
    const other = hash.replace(/^./, hash[0] === '0' ? '1' : '0');
    const changed = join(dir, 'changed.jsonl');
    await writeFile(changed, `${lines.map((l) => l.replaceAll(hash, other)).join('\n')}\n`);
    const refused = await compare([files[0] as string, changed, '--from-export']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(hash);
    expect(refused.stderr).toContain(other);
    const anyway = await compare([files[0] as string, changed, '--from-export', '--allow-rubric-change', '--json']);
    expect(anyway.code, anyway.stderr).toBe(0);
    expect(JSON.parse(anyway.stdout).like_for_like).toBe(false);

    expect(containersLeftBy(workers.output())).toEqual([]);
  });
});
