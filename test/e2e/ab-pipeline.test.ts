import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { gavel, jsonl, startWorkers } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let vllm: FakeVllm;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  // The default policy grades text by its reference F1 and prefers the output with the higher F1.
  vllm = await startFakeVllm({ model: 'judge-model' });
  dir = await mkdtemp(join(tmpdir(), 'gavel-ab-e2e-'));
});

afterAll(async () => {
  await vllm.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

const text = (id: string, t: number, right: boolean, model: string) => ({
  id,
  kind: 'text',
  task_id: `q${t}`,
  prompt: `Question ${t}: what is the capital of France?`,
  output: right ? 'Paris' : 'Lyon',
  reference: 'Paris',
  sut: { model, family: 'acme' },
});

describe('gavel ab', () => {
  it('builds a pairwise run from two graded runs of the same tasks and judges it in both orders', async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_DATA_DIR: join(dir, 'data'),
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: vllm.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
    };
    // Base right on tasks 0–3 of 10, the candidate on 0–7; the candidate has one task the base lacks.
    await writeFile(
      join(dir, 'base.jsonl'),
      jsonl(Array.from({ length: 10 }, (_, t) => text(`b${t}`, t, t < 4, 'base-7b'))),
    );
    await writeFile(
      join(dir, 'cand.jsonl'),
      jsonl(Array.from({ length: 11 }, (_, t) => text(`c${t}`, t, t < 8, 'cand-8b'))),
    );
    expect((await gavel(['enqueue', join(dir, 'base.jsonl'), '--run', 'run-base'], env)).code).toBe(0);
    expect((await gavel(['enqueue', join(dir, 'cand.jsonl'), '--run', 'run-cand'], env)).code).toBe(0);
    const workers = startWorkers(env);
    try {
      for (const run of ['run-base', 'run-cand']) {
        const waited = await gavel(['wait', run, '--timeout', '120'], env);
        expect(waited.code, waited.stderr + workers.output()).toBe(0);
      }
      const before = vllm.counts.completions;
      const ab = await gavel(['ab', 'run-base', 'run-cand', '--run', 'run-ab'], env);
      expect(ab.code, ab.stderr).toBe(0);
      expect(ab.stderr).toContain('gavel ab: 10 pair(s) of run-base (A) and run-cand (B)');
      expect(ab.stderr).toContain('1 sample(s) in one run only, left out');
      const waited = await gavel(['wait', 'run-ab', '--timeout', '120'], env);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
      expect(vllm.counts.completions - before).toBe(20);
    } finally {
      await workers.stop();
    }
    const out = join(dir, 'ab.jsonl');
    expect((await gavel(['export', 'run-ab', '--out', out], env)).code).toBe(0);
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(10);
    for (const r of records) {
      const t = Number(String(r.task_id).slice(1));
      expect(r).toMatchObject({
        kind: 'pair',
        sample_id: `b${t}-vs-c${t}`,
        systems: { a: { model: 'base-7b' }, b: { model: 'cand-8b' } },
      });
      // Both right (t < 4) or both wrong (t ≥ 8): a tie; only the candidate right (4 ≤ t < 8): B.
      expect(r.verdict.pairwise.outcome, r.sample_id).toBe(t >= 4 && t < 8 ? 'b' : 'tie');
      expect(r.rubric).toMatchObject({ id: 'pairwise-preference', version: '1.0.0' });
    }
    const report = JSON.parse((await gavel(['report', 'run-ab', '--json'], env)).stdout);
    // By hand: 4 wins and 6 ties over 10 decided pairs: (4 + 3) / 10; sign test 4 vs 0: 2 / 16.
    expect(report.pairwise.win_rates[0]).toMatchObject({ a: 'base-7b', b: 'cand-8b', wins_b: 4, ties: 6, wins_a: 0 });
    expect(report.pairwise.win_rates[0].win_rate).toBeCloseTo(0.7, 12);
    expect(report.pairwise.win_rates[0].sign_test.p_value).toBeCloseTo(2 / 16, 12);
  });
});
