import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKey, stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let client: Redis;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'gavel-reconcile-'));
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_CONCURRENCY: '8' };
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('gavel reconcile', () => {
  it('gives every sample whose jobs were deleted mid-run its next-stage job, once; gavel wait says how many had none', async () => {
    const total = 200;
    const runId = 'run-reconcile';
    const file = join(dir, 'samples.jsonl');
    await writeFile(file, jsonl(Array.from({ length: total }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', runId], env)).code).toBe(0);

    // Half the sandbox jobs are deleted before any worker runs (those samples have no facts and
    // no job); the sandbox stage alone runs the other half (their judge jobs wait); then someone
    // empties the judge queue (Bull Board's obliterate): no sample has a job any more.
    const sandbox = new Queue('sandbox', { connection: client, prefix: stageQueuePrefix('gavel', 'sandbox') });
    for (let i = total / 2; i < total; i += 1) expect(await sandbox.remove(`${runId}~s-${i}`)).toBe(1);
    await sandbox.close();
    const withFacts = total / 2;
    const sandboxOnly = startWorkers(env, ['--stages', 'sandbox']);
    while ((await client.hlen(runKey('gavel', runId, 'facts'))) < withFacts) await sleep(10);
    await sandboxOnly.stop();
    const judgeQueue = new Queue('judge', { connection: client, prefix: stageQueuePrefix('gavel', 'judge') });
    expect(await judgeQueue.getJobCounts('wait')).toEqual({ wait: withFacts });
    await judgeQueue.obliterate({ force: true });
    await judgeQueue.close();
    const stuck = await gavel(['wait', runId, '--timeout', '7'], env, 60_000);
    expect(stuck.code).toBe(124);
    expect(stuck.stderr).toContain(`run ${runId}: ${total} undecided sample(s) have no job in any queue`);
    expect(stuck.stderr).toMatch(
      new RegExp(`${total} undecided sample\\(s\\) have no job \\(gavel reconcile ${runId}\\)`),
    );

    const first = await gavel(['reconcile', runId, '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      undecided: total,
      without_job: total,
      restored: { sandbox: total - withFacts, judge: withFacts },
      stuck: [],
    });
    // Idempotent: every sample has its job now.
    const second = await gavel(['reconcile', runId, '--json'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ undecided: total, without_job: 0, restored: {} });
    expect(await client.llen(`${stageQueuePrefix('gavel', 'sandbox')}:sandbox:wait`)).toBe(total - withFacts);
    expect(await client.llen(`${stageQueuePrefix('gavel', 'judge')}:judge:wait`)).toBe(withFacts);

    const workers = startWorkers(env);
    try {
      const waited = await gavel(['wait', runId, '--timeout', '120'], env, 180_000);
      expect(waited.code, waited.stderr).toBe(0);
    } finally {
      await workers.stop();
    }
    expect(await client.hlen(runKey('gavel', runId, 'verdicts'))).toBe(total);
    expect(await client.hlen(runKey('gavel', runId, 'failures'))).toBe(0);
    // Each sample was judged once: one completed judge job per sample, none failed.
    const judge = new Queue('judge', { connection: client, prefix: stageQueuePrefix('gavel', 'judge') });
    expect(await judge.getJobCounts('completed', 'failed', 'wait', 'active', 'delayed')).toEqual({
      completed: total,
      failed: 0,
      wait: 0,
      active: 0,
      delayed: 0,
    });
    await judge.close();
    const after = await gavel(['reconcile', runId, '--json'], env);
    expect(JSON.parse(after.stdout)).toMatchObject({ undecided: 0, without_job: 0, restored: {} });
  });
});
