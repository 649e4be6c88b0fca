import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// `gavel compare` on export files (no workers, no Docker): exit codes, --out, and clear errors for a
// missing run, a missing file and a bad line.

let redis: RedisServer;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-compare-cli-'));
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn' };
});

afterAll(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One export line of a text sample with a facts-only verdict. */
function line(run: string, i: number, pass: boolean): string {
  return JSON.stringify({
    run_id: run,
    sample_id: `${run}-${i}`,
    task_id: `T${i}`,
    kind: 'text',
    sut: { model: `${run}-model`, family: 'acme' },
    status: 'verdict',
    facts: null,
    verdict: {
      pass,
      score: pass ? 1 : 0,
      rationale: 'facts',
      criteria: [],
      source: 'facts',
      facts_only: true,
      route: 'final',
      route_reasons: [],
      arbitration: 'none',
      flags: [],
      grader: null,
      consistency: null,
      arbiter: null,
      judge_verdict: null,
      usage: null,
      decided_at: '2026-12-01T00:00:00Z',
    },
    judge_verdict: null,
    route: 'final',
    failure: null,
    rubric: { id: 'text-qa', version: '1.0.0', hash: 'c'.repeat(64) },
    arbiter_cost: null,
    trace_id: null,
  });
}

async function exportFile(name: string, passes: boolean[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${passes.map((p, i) => line(name, i, p)).join('\n')}\n`);
  return path;
}

describe('gavel compare from export files', () => {
  it('exits 0 without a margin and 3 when a drop beyond it cannot be ruled out', async () => {
    // 20 tasks, base passes all, candidate fails 2. Wald: d̄ = −.1, Σ(d − d̄)² = 18·.01 + 2·.81 = 1.8,
    // SE = √(1.8/19/20) = .068825, lower end = −.1 − 1.959964·.068825 = −.234894.
    // The score interval decides: candidate 18/20, base 20/20, φ̂ = 0 (no task fails in the base).
    // Wilson 18/20 (z² = 3.841459): (36 + z² − 1.959964·√(z² + 72·.1))/(2·23.841459)
    // = (39.841459 − 1.959964·3.322869)/47.682918 = (39.841459 − 6.512784)/47.682918 = .698965.
    // Lower end = −.1 − √((.9 − .698965)² + (1 − 1)²) = −.1 − .201035 = −.301035: 30 pts blocks, 31 does not.
    const base = await exportFile('base', Array(20).fill(true));
    const candidate = await exportFile(
      'cand',
      Array.from({ length: 20 }, (_, i) => i >= 2),
    );
    const plain = await gavel(['compare', base, candidate, '--from-export', '--json', '--seed', '9'], env);
    expect(plain.code, plain.stderr).toBe(0);
    const c = JSON.parse(plain.stdout);
    expect(c.delta_pass_rate_ci95[0]).toBeCloseTo(-0.1 - 1.959964 * Math.sqrt(1.8 / 19 / 20), 5);
    const wilson18 = (39.841459 - 1.959964 * Math.sqrt(3.841459 + 7.2)) / 47.682918;
    expect(wilson18).toBeCloseTo(0.698965, 5);
    expect(c.delta_pass_rate_ci95_score[0]).toBeCloseTo(-0.1 - (0.9 - wilson18), 5);
    expect(c.delta_pass_rate_ci95_score[0]).toBeCloseTo(-0.301035, 5);
    expect(c.decision.interval).toBe('score');
    expect(c.paired.seed).toBe(9);
    expect(c.regressions.map((f: { task_id: string }) => f.task_id)).toEqual(['T0', 'T1']);
    const blocked = await gavel(['compare', base, candidate, '--from-export', '--max-drop', '30'], env);
    expect(blocked.code).toBe(3);
    const out = join(dir, 'out');
    const ok = await gavel(['compare', base, candidate, '--from-export', '--max-drop', '31', '--out', out], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8')).decision.ship_blocked).toBe(false);
    expect(await readFile(join(out, 'comparison.txt'), 'utf8')).toBe(ok.stdout);
  });

  it('does not let 24 identical verdicts rule out a 1-point drop', async () => {
    // 24 tasks passing in both runs: no pair flips, so the Wald interval (sd of the differences / √n)
    // is [0, 0] and used to "rule out" any drop (--max-drop 1 exited 0). The Newcombe score interval
    // by hand: both rates are 24/24; Wilson's lower limit for x = n is n/(n + z²) with
    // z² = 1.959964² = 3.841459: 24/27.841459 = .862024, upper limit 1. φ = 0 (no failure in either run,
    // so the denominator (a+b)(c+d)(a+c)(b+d) is 0). Lower end = 0 − √((1 − .862024)² + (1 − 1)²)
    // = −.137976: a drop of up to 13.8 pts is not ruled out, so --max-drop 1 and 13 exit 3, 14 exits 0.
    const z2 = 1.959964 ** 2;
    const lower = -(1 - 24 / (24 + z2));
    expect(lower).toBeCloseTo(-0.137976, 5);
    const base = await exportFile('same-base', Array(24).fill(true));
    const candidate = await exportFile('same-cand', Array(24).fill(true));
    const json = await gavel(['compare', base, candidate, '--from-export', '--json', '--max-drop', '1'], env);
    expect(json.code, json.stderr).toBe(3);
    const c = JSON.parse(json.stdout);
    expect(c.delta_pass_rate_ci95).toEqual([0, 0]);
    expect(c.delta_pass_rate_ci95_score[0]).toBeCloseTo(lower, 5);
    expect(c.delta_pass_rate_ci95_score[1]).toBeCloseTo(-lower, 5);
    expect(c.decision).toMatchObject({ outcome: 'no significant change', ship_blocked: true, interval: 'score' });
    expect(json.stderr).toMatch(/^gavel compare: ship blocked: .*score interval/);
    expect((await gavel(['compare', base, candidate, '--from-export', '--max-drop', '13'], env)).code).toBe(3);
    const ok = await gavel(['compare', base, candidate, '--from-export', '--max-drop', '14'], env);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('names a missing run, a missing file and a bad line', async () => {
    const missingRun = await gavel(['compare', 'no-such-run', 'other'], env);
    expect(missingRun.code).toBe(1);
    expect(missingRun.stderr.trim()).toBe('gavel: no run no-such-run (see gavel runs)');
    const missingFile = await gavel(
      ['compare', join(dir, 'nope.jsonl'), join(dir, 'nope.jsonl'), '--from-export'],
      env,
    );
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr).toMatch(/nope\.jsonl does not exist/);
    const good = await exportFile('good', [true, false]);
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, `${line('bad', 0, true)}\n${line('bad', 1, true).replace('"pass":true', '"pass":"yes"')}\n`);
    const badLine = await gavel(['compare', good, bad, '--from-export'], env);
    expect(badLine.code).toBe(1);
    expect(badLine.stderr).toMatch(/bad\.jsonl:2: verdict\.pass: /);
    const badMargin = await gavel(['compare', good, good, '--from-export', '--max-drop', '-5'], env);
    expect(badMargin.code).not.toBe(0);
    expect(badMargin.stderr).toMatch(/--max-drop.*between 0 and 100/);
  });
});
