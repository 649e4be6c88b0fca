import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKey } from '@gavel/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factsPolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let client: Redis;
let vllm: FakeVllm;
let dir: string;
let env: NodeJS.ProcessEnv;
const runId = 'run-verify-llm';

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  vllm = await startFakeVllm({ model: 'judge-model' });
  dir = await mkdtemp(join(tmpdir(), 'gavel-verify-llm-'));
  env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'none',
    GAVEL_JUDGE: 'vllm',
    GAVEL_JUDGE_URL: vllm.url,
    GAVEL_JUDGE_MODEL: 'judge-model',
    GAVEL_JUDGE_FAMILY: 'judgefam',
    GAVEL_JUDGE_K: '2',
    GAVEL_JUDGE_SEED: '7',
  };
  // s-i answers Paris (correct) when i % 3 === 0, else London or Berlin.
  const file = join(dir, 'text.jsonl');
  await writeFile(file, jsonl(Array.from({ length: 8 }, (_, i) => textSample(i))));
  expect((await gavel(['enqueue', file, '--run', runId], env)).code).toBe(0);
  const workers = startWorkers(env);
  try {
    const waited = await gavel(['wait', runId, '--timeout', '120'], env);
    expect(waited.code, waited.stderr + workers.output()).toBe(0);
  } finally {
    await workers.stop();
  }
}, 300_000);

afterAll(async () => {
  client.disconnect();
  await vllm.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('gavel verify on an LLM-judged run (worker processes against a vLLM-shaped server)', () => {
  it('re-derives every routing decision and asks N samples again of the pinned judge at temperature 0 with the recorded seed', async () => {
    const before = vllm.completions.length;
    // Started without the judge model in the environment: the run's manifest pins it.
    const { GAVEL_JUDGE_MODEL: _model, ...withoutModel } = env;
    const result = await gavel(['verify', runId, '--judge-sample', '3'], withoutModel);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('ok: routing decisions: 8 re-derived');
    expect(result.stdout).toContain('judge sample: asked 3 sample(s) again of the pinned judge: 3/3 same verdict');
    const asked = vllm.completions.slice(before);
    expect(asked).toHaveLength(3);
    for (const request of asked) {
      expect(request.body.model).toBe('judge-model');
      expect(request.body.temperature).toBe(0);
      expect(request.body.seed).toBe(7);
    }
    // Spread over the run: samples 0, 2 and 5 of 8 (index ⌊i·8/3⌋).
    const questions = asked.map((r) => /Question (\d+):/.exec(r.messages[1]?.content ?? '')?.[1]).sort();
    expect(questions).toEqual(['0', '2', '5']);
  });

  it('reports a judge that now answers differently without failing the run', async () => {
    const honest = factsPolicy();
    vllm.setPolicy((request) => {
      const answer = JSON.parse(honest(request));
      return JSON.stringify({ ...answer, pass: !answer.pass });
    });
    try {
      const result = await gavel(['verify', runId, '--judge-sample', '3', '--json'], env);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.judge_sample).toMatchObject({ asked: 3, same_verdict: 0, identical: 0, agreement: 0 });
      expect(report.judge_sample.differing.map((d: { sample_id: string }) => d.sample_id).sort()).toEqual([
        's-0',
        's-2',
        's-5',
      ]);
      expect(report.mismatches).toEqual([]);
    } finally {
      vllm.setPolicy(factsPolicy());
    }
  });

  it('names the sample whose recorded routing the thresholds do not give', async () => {
    const key = runKey('gavel', runId, 'judgements');
    const original = (await client.hget(key, 's-3')) as string;
    const judgement = JSON.parse(original);
    expect(judgement.route).toBe('final');
    await client.hset(
      key,
      's-3',
      JSON.stringify({ ...judgement, route: 'arbiter', route_reasons: ['near_threshold'] }),
    );
    try {
      const result = await gavel(['verify', runId], env);
      expect(result.code, result.stdout + result.stderr).toBe(4);
      expect(result.stdout).toContain('sample s-3: judgement.route: recorded arbiter, re-derived final');
      expect(result.stdout).toContain(
        'sample s-3: judgement.route_reasons: recorded ["near_threshold"], re-derived []',
      );
    } finally {
      await client.hset(key, 's-3', original);
    }
  });

  it('stops with one line when --judge-sample has no judge URL to ask', async () => {
    const { GAVEL_JUDGE_URL: _url, ...withoutUrl } = env;
    const result = await gavel(['verify', runId, '--judge-sample', '1'], withoutUrl);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('GAVEL_JUDGE_URL');
  });
});
