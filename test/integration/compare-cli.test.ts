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
    // 20 tasks, base passes all, candidate fails 2: d̄ = −.1, Σ(d − d̄)² = 18·.01 + 2·.81 = 1.8,
    // SE = √(1.8/19/20) = .068825, lower end = −.1 − 1.959964·.068825 = −.234894.
    const base = await exportFile('base', Array(20).fill(true));
    const candidate = await exportFile(
      'cand',
      Array.from({ length: 20 }, (_, i) => i >= 2),
    );
    const plain = await gavel(['compare', base, candidate, '--from-export', '--json', '--seed', '9'], env);
    expect(plain.code, plain.stderr).toBe(0);
    const c = JSON.parse(plain.stdout);
    expect(c.delta_pass_rate_ci95[0]).toBeCloseTo(-0.1 - 1.959964 * Math.sqrt(1.8 / 19 / 20), 5);
    expect(c.paired.seed).toBe(9);
    expect(c.regressions.map((f: { task_id: string }) => f.task_id)).toEqual(['T0', 'T1']);
    const blocked = await gavel(['compare', base, candidate, '--from-export', '--max-drop', '23'], env);
    expect(blocked.code).toBe(3);
    const out = join(dir, 'out');
    const ok = await gavel(['compare', base, candidate, '--from-export', '--max-drop', '24', '--out', out], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8')).decision.ship_blocked).toBe(false);
    expect(await readFile(join(out, 'comparison.txt'), 'utf8')).toBe(ok.stdout);
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
