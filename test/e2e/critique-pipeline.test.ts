import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRITIQUE_INSTRUCTION } from '@gavel/judge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBatchesServer, startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { blockText, DEFAULT_FAKE_ANSWER } from '../fakes/anthropic-messages-model.ts';
import { factsPolicy, type JudgePolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// A critique that flips a verdict, through the running pipeline: worker processes, the vLLM-shaped
// judge fake critiquing its own answers (GAVEL_JUDGE_CRITIQUE=1), the flip routed to the arbiter on
// the Batches fake, and `gavel report` giving the flip rate and how often the arbiter sided with the revision.

/** The careful fake judge; asked to critique its answer on Questions 1 and 3, it reverses the verdict. */
const critical: JudgePolicy = (request) => {
  const last = request.messages.at(-1);
  if (last?.role !== 'user' || last.content !== CRITIQUE_INSTRUCTION) return factsPolicy()(request);
  const answered = JSON.parse(request.messages.at(-2)?.content ?? '{}') as { pass: boolean; score: number };
  const user = request.messages[1]?.content ?? '';
  if (!/Question [13]:/.test(user)) return JSON.stringify(answered);
  return JSON.stringify({
    ...answered,
    pass: !answered.pass,
    score: 1 - answered.score,
    rationale: 'Revised on critique.',
  });
};

let redis: RedisServer;
let vllm: FakeVllm;
let batches: FakeBatchesServer;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  vllm = await startFakeVllm({ model: 'judge-model', policy: critical });
  // The arbiter fails both flipped samples: for Question 3 (Paris, revised to fail) that is the revision,
  // for Question 1 (London, revised to pass) the original.
  batches = await startFakeAnthropicBatches({
    apiKey: 'sk-ant-critique',
    processingMs: 300,
    answer: (params, info) => {
      const base = DEFAULT_FAKE_ANSWER(params) as Record<string, unknown>;
      if (info.where === 'message') return base;
      const criteria = Object.fromEntries(
        Object.keys((base.criteria ?? {}) as Record<string, unknown>).map((id) => [
          id,
          { score: 0.1, finding: 'wrong' },
        ]),
      );
      const text = blockText(params.messages[0]?.content);
      return /Question [13]:/.test(text)
        ? { pass: false, score: 0.1, criteria, rationale: 'The arbiter finds it wrong.' }
        : base;
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'gavel-critique-'));
});

afterAll(async () => {
  await vllm?.stop();
  await batches?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('self-critique in the running pipeline', () => {
  it('routes a flipped verdict to the arbiter and reports the flip rate and the arbiter agreement with the revision', {
    timeout: 240_000,
  }, async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: vllm.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
      GAVEL_JUDGE_CRITIQUE: '1',
      GAVEL_ARBITER: 'anthropic-batch',
      GAVEL_ARBITER_MODEL: 'claude-sonnet-4-6',
      GAVEL_ARBITER_URL: batches.url,
      GAVEL_ARBITER_API_KEY: 'sk-ant-critique',
      GAVEL_ARBITER_POLL_S: '0.3',
      GAVEL_ARBITER_BATCH_WINDOW_S: '1',
    };
    // Outputs: Q0 Paris, Q1 London, Q2 Berlin, Q3 Paris, Q4 London, Q5 Berlin (reference Paris).
    const file = join(dir, 'critique.jsonl');
    await writeFile(file, jsonl(Array.from({ length: 6 }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', 'run-critique'], env)).code).toBe(0);
    const workers = startWorkers(env, ['--stages', 'sandbox,judge,arbiter-submit,arbiter-collect']);
    try {
      const waited = await gavel(['wait', 'run-critique', '--timeout', '180'], env, 200_000);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    } finally {
      await workers.stop();
    }
    // 6 answers + 6 critiques.
    expect(vllm.counts.completions).toBe(12);
    const out = join(dir, 'out.jsonl');
    expect((await gavel(['export', 'run-critique', '--out', out], env)).code).toBe(0);
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byId = new Map(records.map((r) => [r.sample_id, r]));
    for (const id of ['s-1', 's-3']) {
      const r = byId.get(id);
      expect(r.judge_verdict.critique.flipped, id).toBe(true);
      expect(r.judge_verdict.route_reasons).toContain('critique_flip');
      expect(r.route).toBe('arbiter');
      expect(r.verdict.source).toBe('arbiter');
      expect(r.verdict.pass).toBe(false);
    }
    expect(byId.get('s-3').judge_verdict.critique.original.pass).toBe(true);
    expect(byId.get('s-3').judge_verdict.pass).toBe(false);
    for (const id of ['s-0', 's-2', 's-4', 's-5']) {
      const r = byId.get(id);
      expect(r.verdict.critique.flipped, id).toBe(false);
      expect(r.verdict.source).toBe('judge');
      expect(r.route).toBe('final');
    }
    // By hand: 6 chains, 2 flipped (1/3); both arbitrated; the arbiter sided with the revision on Q3 only (1/2).
    const report = await gavel(['report', 'run-critique', '--json'], env);
    expect(JSON.parse(report.stdout).critique).toEqual({
      chains: 6,
      flipped: 2,
      flip_rate: 2 / 6,
      changed: 2,
      change_rate: 2 / 6,
      arbitrated_flips: 2,
      arbiter_sided_with_revision: 1,
      revision_agreement: 0.5,
    });
    const text = await gavel(['report', 'run-critique'], env);
    expect(text.stdout).toContain(
      'self-critique: 6 chains, verdict flipped in 2 (33.3%), anything changed in 2 (33.3%); the arbiter sided with the revision in 1 of 2 arbitrated flips (50.0%)',
    );
  });
});
