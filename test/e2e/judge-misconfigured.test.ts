import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVllm, startFakeVllm, type WrongShape } from '../fakes/vllm-server.ts';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { type StageProcess, startStageProcess } from '../support/stage-process.ts';

let redis: RedisServer;
let vllm: FakeVllm;
let otherVllm: FakeVllm;
let dir: string;
const started: StageProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  vllm = await startFakeVllm({ model: 'judge-model' });
  otherVllm = await startFakeVllm({ model: 'other-model' });
  dir = await mkdtemp(join(tmpdir(), 'gavel-misconfigured-'));
});

afterAll(async () => {
  // A worker that did not stop by itself (the bug this file tests for) is killed here.
  for (const worker of started) await worker.stop('SIGKILL');
  await vllm.stop();
  await otherVllm.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

const SAMPLES = 6;

function llmEnv(): NodeJS.ProcessEnv {
  return {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_JUDGE: 'vllm',
    GAVEL_JUDGE_URL: vllm.url,
    GAVEL_JUDGE_MODEL: 'judge-model',
    GAVEL_JUDGE_FAMILY: 'judgefam',
  };
}

async function judgeQueue<T>(use: (queue: Queue) => Promise<T>): Promise<T> {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('judge', { connection, prefix: stageQueuePrefix('gavel', 'judge') });
  try {
    return await use(queue);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Enqueues an LLM-pinned run and lets a sandbox worker bring every sample to the judge queue. */
async function runAtTheJudge(runId: string, env: NodeJS.ProcessEnv = llmEnv()): Promise<void> {
  const file = join(dir, `${runId}.jsonl`);
  await writeFile(file, jsonl(Array.from({ length: SAMPLES }, (_, i) => textSample(i))));
  expect((await gavel(['enqueue', file, '--run', runId], env)).code).toBe(0);
  const sandbox = startWorkers(llmEnv(), ['--stages', 'sandbox']);
  try {
    for (;;) {
      const waiting = await judgeQueue((q) => q.getWaitingCount());
      if (waiting === SAMPLES) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await sandbox.stop();
  }
}

/** The misconfigured judge worker exits 78 with one line; the run's samples keep no failure and their jobs wait. */
async function expectStoppedUnharmed(runId: string, env: NodeJS.ProcessEnv, cause: RegExp): Promise<void> {
  const worker = startStageProcess('judge', env);
  started.push(worker);
  const { code } = await worker.exited;
  expect(code, worker.stderr()).toBe(78);
  const lines = worker.stderr().trim().split('\n');
  expect(lines, worker.stderr()).toHaveLength(1);
  expect(lines[0]).toMatch(/^gavel worker-judge: /);
  expect(lines[0]).toMatch(cause);
  const status = await gavel(['status', runId, '--json'], llmEnv());
  expect(status.code, status.stderr).toBe(0);
  const parsed = JSON.parse(status.stdout) as { failed: number; verdicts: number; total: number };
  expect(parsed).toMatchObject({ total: SAMPLES, failed: 0, verdicts: 0 });
  const jobs = await judgeQueue(async (q) => ({
    counts: await q.getJobCounts('waiting', 'active', 'delayed', 'failed'),
    waiting: await q.getWaiting(),
  }));
  expect(jobs.counts).toEqual({ waiting: SAMPLES, active: 0, delayed: 0, failed: 0 });
  expect(jobs.waiting.map((j) => j.attemptsMade)).toEqual(Array(SAMPLES).fill(0));
}

/** A correctly configured judge worker then grades every sample. */
async function expectFinishedByRightWorker(runId: string, env: NodeJS.ProcessEnv = llmEnv()): Promise<void> {
  const workers = startWorkers(env, ['--stages', 'judge']);
  try {
    const waited = await gavel(['wait', runId, '--timeout', '120'], llmEnv());
    expect(waited.code, waited.stderr + workers.output()).toBe(0);
  } finally {
    await workers.stop();
  }
  const out = join(dir, `${runId}.out.jsonl`);
  expect((await gavel(['export', runId, '--out', out], llmEnv())).code).toBe(0);
  const records = (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { status: string; verdict: { grader: { model: string } } });
  expect(records).toHaveLength(SAMPLES);
  expect(records.map((r) => r.status)).toEqual(Array(SAMPLES).fill('verdict'));
  expect(records.map((r) => r.verdict.grader.model)).toEqual(Array(SAMPLES).fill('judge-model'));
}

describe('a misconfigured judge worker stops (exit 78) and leaves the run unharmed', () => {
  it('a facts-only worker on an LLM-pinned run returns the jobs and exits 78; a vLLM worker then finishes the run', async () => {
    await runAtTheJudge('run-facts-worker');
    await expectStoppedUnharmed(
      'run-facts-worker',
      { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_JUDGE: 'facts' },
      /pinned the vllm judge judge-model, but this judge worker is facts-only/,
    );
    await expectFinishedByRightWorker('run-facts-worker');
  });

  it("a worker running another judge model than the run's pin returns the jobs and exits 78", async () => {
    await runAtTheJudge('run-other-model');
    const before = otherVllm.counts.completions;
    await expectStoppedUnharmed(
      'run-other-model',
      { ...llmEnv(), GAVEL_JUDGE_URL: otherVllm.url, GAVEL_JUDGE_MODEL: 'other-model' },
      /pinned to judge model judge-model, this worker runs other-model/,
    );
    // Nothing was graded by the wrong model.
    expect(otherVllm.counts.completions).toBe(before);
    await expectFinishedByRightWorker('run-other-model');
  });

  it.each([
    ['tokens-only', /POST \/tokenize answered HTTP 200 with a body that is not this endpoint's reply \(count: /],
    [
      'no-choices',
      /POST \/v1\/chat\/completions answered HTTP 200 with a body that is not this endpoint's reply \(choices: /,
    ],
  ] as const)(
    'a server answering in another shape (%s) stops the worker after a bounded number of requests',
    async (shape: WrongShape, cause) => {
      const runId = `run-shape-${shape}`;
      // The run is pinned to the endpoint (as enqueued): the server behind it answers in another
      // shape, and once it answers as vLLM again a worker on the same endpoint finishes the run.
      const wrong = await startFakeVllm({ model: 'judge-model', wrongShape: shape });
      const env = { ...llmEnv(), GAVEL_JUDGE_URL: wrong.url };
      try {
        await runAtTheJudge(runId, env);
        await expectStoppedUnharmed(runId, env, cause);
        // At most one request per sample the worker took before it stopped: no retrying of a wrong reply.
        expect(wrong.counts.tokenize).toBeLessThanOrEqual(SAMPLES);
        expect(wrong.counts.completions).toBeLessThanOrEqual(SAMPLES);
        wrong.setWrongShape(undefined);
        await expectFinishedByRightWorker(runId, env);
      } finally {
        await wrong.stop();
      }
    },
  );
});
