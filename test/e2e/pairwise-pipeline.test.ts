import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPairOutputs } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { gavel, jsonl, startWorkers } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let vllm: FakeVllm;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  // The default policy judges a pair by the reference F1 in each output's facts (equal F1: a tie).
  vllm = await startFakeVllm({ model: 'judge-model' });
  dir = await mkdtemp(join(tmpdir(), 'gavel-pair-e2e-'));
});

afterAll(async () => {
  await vllm.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

const SYSTEMS = {
  base: { model: 'base-7b', family: 'acme' },
  mid: { model: 'mid-8b', family: 'acme' },
  strong: { model: 'strong-9b', family: 'acme' },
} as const;
type System = keyof typeof SYSTEMS;

/** Task t: strong is always right, mid right unless t % 3 == 0, base right only when t % 4 == 0. */
function answer(system: System, t: number): string {
  const right = system === 'strong' || (system === 'mid' && t % 3 !== 0) || (system === 'base' && t % 4 === 0);
  return right ? `Paris is the capital (${t}).` : `Lyon, I believe (${t}).`;
}

describe('a pairwise run through the CLI and the worker processes', () => {
  it('judges every pair in both orders and reports win rates with CIs, sign tests, length buckets and a Bradley–Terry ranking', async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: vllm.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
    };
    const combos: [System, System][] = [
      ['base', 'mid'],
      ['mid', 'strong'],
      ['base', 'strong'],
    ];
    const rows = Array.from({ length: 24 }, (_, t) =>
      combos.map(([a, b]) => ({
        id: `q${t}-${a}-${b}`,
        kind: 'pair',
        task_id: `q${t}`,
        prompt: `Question ${t}: what is the capital of France?`,
        outputs: { a: answer(a, t), b: answer(b, t) },
        systems: { a: SYSTEMS[a], b: SYSTEMS[b] },
        reference: `Paris is the capital (${t}).`,
      })),
    ).flat();
    const file = join(dir, 'pairs.jsonl');
    await writeFile(file, jsonl(rows));
    const enqueued = await gavel(['enqueue', file, '--run', 'run-pairs'], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const workers = startWorkers(env);
    try {
      const waited = await gavel(['wait', 'run-pairs', '--timeout', '120'], env);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    } finally {
      await workers.stop();
    }
    // Exactly two requests per pair, the outputs swapped between them.
    expect(vllm.counts.completions).toBe(2 * rows.length);
    const shown = vllm.completions.map((c) => readPairOutputs(c.messages[1]?.content ?? ''));
    for (const row of rows) {
      const mine = shown.filter((s) => s.first === row.outputs.a || s.first === row.outputs.b);
      expect(mine.filter((s) => s.first === row.outputs.a && s.second === row.outputs.b).length).toBeGreaterThan(0);
      expect(mine.filter((s) => s.first === row.outputs.b && s.second === row.outputs.a).length).toBeGreaterThan(0);
    }

    const out = join(dir, 'pairs-out.jsonl');
    expect((await gavel(['export', 'run-pairs', '--out', out], env)).code).toBe(0);
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(rows.length);
    for (const r of records) {
      const row = rows.find((x) => x.id === r.sample_id);
      expect(r).toMatchObject({ kind: 'pair', status: 'verdict', outputs: row?.outputs, systems: row?.systems });
      expect(r.rubric).toMatchObject({ id: 'pairwise-preference', version: '1.0.0' });
      const rightA = row?.outputs.a.startsWith('Paris');
      const rightB = row?.outputs.b.startsWith('Paris');
      const expected = rightA === rightB ? 'tie' : rightB ? 'b' : 'a';
      expect(r.verdict.pairwise.outcome, r.sample_id).toBe(expected);
      expect(r.verdict.pairwise.orders.map((o: { first: string }) => o.first)).toEqual(['a', 'b']);
    }

    const json = await gavel(['report', 'run-pairs', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.pairwise.pairs).toBe(72);
    expect(report.pairwise.position_consistency).toEqual({ judged: 72, consistent: 72, rate: 1 });
    const strongOverBase = report.pairwise.win_rates.find(
      (w: { a: string; b: string }) => w.a === 'base-7b' && w.b === 'strong-9b',
    );
    // By hand: base is right on t % 4 == 0 (6 of 24 tasks: ties), wrong on 18 (strong wins).
    expect(strongOverBase).toMatchObject({ decided: 24, wins_b: 18, ties: 6, wins_a: 0 });
    expect(strongOverBase.win_rate).toBe((18 + 3) / 24);
    expect(strongOverBase.win_rate_ci95[0]).toBeGreaterThan(0.5);
    // Sign test 18 against 0: 2 / 2^18.
    expect(strongOverBase.sign_test.p_value).toBeCloseTo(2 / 2 ** 18, 15);
    const bt = report.pairwise.bradley_terry;
    expect(bt.identifiable).toBe(true);
    expect(bt.ratings.map((r: { system: string; rank: number }) => [r.system, r.rank])).toEqual([
      ['strong-9b', 1],
      ['mid-8b', 2],
      ['base-7b', 3],
    ]);
    for (const r of bt.ratings) expect(r.rating_ci95[0]).toBeLessThan(r.rating_ci95[1]);

    const text = await gavel(['report', 'run-pairs'], env);
    expect(text.stdout).toContain('position consistency (judge health): 100.0% (72/72');
    expect(text.stdout).toContain('win rate of strong-9b (B) over base-7b (A): 87.5% [95% CI');
    expect(text.stdout).toMatch(/Bradley–Terry over 3 systems, 72 decided pairs/);
    expect(text.stdout).toMatch(/1\. strong-9b: \d+ \[95% CI \d+ – \d+\], rank interval 1 – \d/);
  });
});
