import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { gavel, jsonl, ROOT, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let vllm: FakeVllm;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  vllm = await startFakeVllm({ model: 'judge-model', latencyMs: 20 });
  dir = await mkdtemp(join(tmpdir(), 'gavel-llm-e2e-'));
});

afterAll(async () => {
  await vllm.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the LLM judge in the running pipeline (worker processes against a vLLM-shaped server)', () => {
  it('grades every sample with the pinned rubric as the byte-identical first block of every request', async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: vllm.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
      GAVEL_JUDGE_K: '2',
    };
    const rows = Array.from({ length: 20 }, (_, i) => textSample(i));
    const file = join(dir, 'text.jsonl');
    await writeFile(file, jsonl(rows));
    expect((await gavel(['enqueue', file, '--run', 'run-llm'], env)).code).toBe(0);
    // tracing is off (no OTEL_EXPORTER_OTLP_ENDPOINT): the jobs carry no trace context at all
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const sandbox = new Queue('sandbox', { connection, prefix: stageQueuePrefix('gavel', 'sandbox') });
    const queued = await sandbox.getJobs(['waiting']);
    await sandbox.close();
    connection.disconnect();
    expect(queued).toHaveLength(20);
    expect(queued.filter((j) => j.opts.telemetry !== undefined)).toEqual([]);
    const workers = startWorkers(env);
    try {
      const waited = await gavel(['wait', 'run-llm', '--timeout', '120'], env);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    } finally {
      await workers.stop();
    }
    const out = join(dir, 'out.jsonl');
    expect((await gavel(['export', 'run-llm', '--out', out], env)).code).toBe(0);
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(20);
    for (const [i, r] of records.entries()) {
      expect(r.status).toBe('verdict');
      expect(r.verdict.source).toBe('judge');
      expect(r.verdict.facts_only).toBe(false);
      expect(r.verdict.grader.model).toBe('judge-model');
      expect(r.verdict.consistency.samples).toBe(3);
      expect(r.verdict.pass).toBe(rows[i]?.output === 'Paris');
      expect(r.trace_id).toBeNull();
    }
    // 20 samples × (1 + k=2) requests, all with the same first (system) block: the pinned rubric.
    const rubricText = await readFile(join(ROOT, 'rubrics', 'text-answer', '1.0.0.md'), 'utf8');
    expect(vllm.counts.completions).toBe(60);
    expect([...vllm.systemPrefixes.entries()]).toHaveLength(1);
    const [[hash, count]] = [...vllm.systemPrefixes.entries()] as [[string, number]];
    expect(count).toBe(60);
    const first = vllm.completions[0]?.messages[0]?.content ?? '';
    expect(first.startsWith(rubricText)).toBe(true);
    expect(hash).toBe(createHash('sha256').update(first).digest('hex'));
  });

  it("grades each run by the judge the run pinned, whatever the worker's default", async () => {
    const llmEnv = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: vllm.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
    };
    const factsEnv = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_JUDGE: 'facts' };
    const file = join(dir, 'pinned.jsonl');
    await writeFile(file, jsonl(Array.from({ length: 4 }, (_, i) => textSample(i))));
    // A facts-only run on an LLM worker is graded by the facts.
    expect((await gavel(['enqueue', file, '--run', 'run-pinned-facts'], factsEnv)).code).toBe(0);
    const before = vllm.counts.completions;
    const llmWorkers = startWorkers(llmEnv, ['--stages', 'sandbox,judge']);
    try {
      expect((await gavel(['wait', 'run-pinned-facts', '--timeout', '120'], factsEnv)).code).toBe(0);
    } finally {
      await llmWorkers.stop();
    }
    expect(vllm.counts.completions).toBe(before);
    // An LLM run on a facts-only worker stops that worker (exit 78): test/e2e/judge-misconfigured.test.ts.
    const out = join(dir, 'pinned.jsonl.out');
    expect((await gavel(['export', 'run-pinned-facts', '--out', out], factsEnv)).code).toBe(0);
    const facts = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(facts.every((r) => r.verdict.facts_only === true)).toBe(true);
  });
});
