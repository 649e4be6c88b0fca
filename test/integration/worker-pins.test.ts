import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunManifest } from '@gavel/core';
import { RunStore, stageQueue } from '@gavel/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSut, startFakeSut } from '../fakes/openai-sut-server.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { gavel, jsonl, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { type StageProcess, startStageProcess } from '../support/stage-process.ts';

// A worker configured for another SUT or judge endpoint (or critic) than the one the run's manifest
// pins refuses the run with one line and exit 78, before it asks anything: no sample fails, the
// run's jobs wait in the queue, and a worker with the pinned endpoint then finishes them.

let redis: RedisServer;
let client: Redis;
let store: RunStore;
let dir: string;
const open: Array<{ close(): Promise<void> } | { stop(): Promise<unknown> }> = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  store = new RunStore(client);
  dir = await mkdtemp(join(tmpdir(), 'gavel-pins-'));
});

afterAll(async () => {
  for (const item of open.splice(0).reverse()) await ('close' in item ? item.close() : item.stop());
  client.disconnect();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The worker's stderr lines that are not pino log records: what a person reads. */
const plainLines = (p: StageProcess): string[] =>
  p
    .stderr()
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('{'));

const base = (): NodeJS.ProcessEnv => ({
  GAVEL_REDIS_URL: redis.url,
  GAVEL_LOG_LEVEL: 'warn',
  GAVEL_METRICS_PORT: '0',
});

async function queued(stage: 'generate' | 'judge'): Promise<number> {
  const queue = stageQueue(stage, { connection: client, prefix: '{gavel}' });
  const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe("a worker against the run's pinned endpoints", () => {
  it('a generate worker asking another SUT endpoint than the pinned one refuses the run with one line', {
    timeout: 90_000,
  }, async () => {
    const policy = () => ({ content: 'an answer' });
    const pinned: FakeSut = await startFakeSut({ model: 'sut-model', policy });
    const other: FakeSut = await startFakeSut({ model: 'sut-model', policy });
    open.push(pinned, other);
    const prompts = join(dir, 'prompts.jsonl');
    await writeFile(
      prompts,
      jsonl([
        { id: 'p-0', kind: 'text', prompt: 'one' },
        { id: 'p-1', kind: 'text', prompt: 'two' },
      ]),
    );
    const env = { ...base(), GAVEL_SUT_URL: pinned.url, GAVEL_SUT_MODEL: 'sut-model' };
    const enq = await gavel(
      ['enqueue', prompts, '--generate', '3', '--sut-family', 'acme', '--run', 'run-pin-sut'],
      env,
    );
    expect(enq.code, enq.stderr).toBe(0);

    const wrong = startStageProcess('generate', { ...env, GAVEL_SUT_URL: `${other.url}/v1/` });
    const exit = await wrong.exited;
    expect(exit.code, wrong.stderr()).toBe(78);
    expect(plainLines(wrong)).toEqual([
      expect.stringContaining(
        `run run-pin-sut is pinned to the SUT endpoint ${pinned.url}, this worker asks ${other.url}; start a worker with GAVEL_SUT_URL=${pinned.url} (the run's generate jobs wait in the queue)`,
      ),
    ]);
    expect(other.counts.completions + pinned.counts.completions).toBe(0);
    expect((await store.getFailures('run-pin-sut')).size).toBe(0);
    expect(await queued('generate')).toBe(6);

    const right = startStageProcess('generate', env);
    open.push(right);
    await waitFor(async () => (await store.generation.all('run-pin-sut')).size === 6, 60_000, 'all completions');
    await right.stop();
    expect(pinned.counts.completions).toBe(6);
    expect(other.counts.completions).toBe(0);
    // The next test's sandbox worker is not to see this run's sandbox jobs.
    const sandbox = stageQueue('sandbox', { connection: client, prefix: '{gavel}' });
    await sandbox.obliterate({ force: true });
    await sandbox.close();
  });

  it('a judge worker on another judge endpoint, or without the pinned critic, refuses the run with one line', {
    timeout: 120_000,
  }, async () => {
    const pinnedJudge: FakeVllm = await startFakeVllm({ model: 'judge-model' });
    const otherJudge: FakeVllm = await startFakeVllm({ model: 'judge-model' });
    const critic: FakeVllm = await startFakeVllm({ model: 'critic-model' });
    open.push(pinnedJudge, otherJudge, critic);
    const judgeEnv = {
      ...base(),
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: pinnedJudge.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
      GAVEL_JUDGE_CRITIQUE: '1',
      GAVEL_CRITIC_URL: critic.url,
      GAVEL_CRITIC_MODEL: 'critic-model',
      GAVEL_CRITIC_FAMILY: 'criticfam',
    };
    const file = join(dir, 'texts.jsonl');
    await writeFile(file, jsonl(Array.from({ length: 4 }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', 'run-pin-judge'], judgeEnv)).code).toBe(0);
    const manifest = RunManifest.parse(JSON.parse((await client.get(store.key('run-pin-judge', 'manifest'))) ?? '{}'));
    expect(manifest.stages.judge).toMatchObject({
      endpoint: pinnedJudge.url,
      critic: { mode: 'vllm', endpoint: critic.url, model: 'critic-model', family: 'criticfam' },
    });
    const sandbox = startStageProcess('sandbox', judgeEnv);
    open.push(sandbox);
    await waitFor(async () => (await queued('judge')) === 4, 30_000, 'judge jobs');

    const elsewhere = startStageProcess('judge', { ...judgeEnv, GAVEL_JUDGE_URL: otherJudge.url });
    expect((await elsewhere.exited).code, elsewhere.stderr()).toBe(78);
    expect(plainLines(elsewhere)).toEqual([
      expect.stringContaining(
        `run run-pin-judge is pinned to the judge endpoint ${pinnedJudge.url}, this worker asks ${otherJudge.url}; start a worker with GAVEL_JUDGE_URL=${pinnedJudge.url}`,
      ),
    ]);
    const { GAVEL_CRITIC_URL: _u, GAVEL_CRITIC_MODEL: _m, GAVEL_CRITIC_FAMILY: _f, ...noCritic } = judgeEnv;
    const selfCritic = startStageProcess('judge', noCritic);
    expect((await selfCritic.exited).code, selfCritic.stderr()).toBe(78);
    expect(plainLines(selfCritic)).toEqual([
      expect.stringContaining(
        `run run-pin-judge is pinned to the critic critic-model at ${critic.url}, this worker has no critic; start a worker with GAVEL_CRITIC_URL=${critic.url} GAVEL_CRITIC_MODEL=critic-model`,
      ),
    ]);
    expect(otherJudge.counts.completions + pinnedJudge.counts.completions + critic.counts.completions).toBe(0);
    expect((await store.getFailures('run-pin-judge')).size).toBe(0);
    expect(await queued('judge')).toBe(4);

    const right = startStageProcess('judge', judgeEnv);
    open.push(right);
    await waitFor(async () => (await store.progress('run-pin-judge')).judged === 4, 60_000, 'all verdicts');
    expect(pinnedJudge.counts.completions).toBe(4);
    expect(critic.counts.completions).toBe(4);
    expect(otherJudge.counts.completions).toBe(0);
  });
});
