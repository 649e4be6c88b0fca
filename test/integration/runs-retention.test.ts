import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKeyPrefix, STAGES, stageQueuePrefix } from '@gavel/core';
import { Queue, Worker } from 'bullmq';
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
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  dir = await mkdtemp(join(tmpdir(), 'gavel-runs-rm-'));
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn' };
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function enqueue(runId: string, n: number): Promise<void> {
  const file = join(dir, `${runId}.jsonl`);
  await writeFile(file, jsonl(Array.from({ length: n }, (_, i) => textSample(i, { id: `${runId}-s-${i}` }))));
  const result = await gavel(['enqueue', file, '--run', runId], env);
  expect(result.code, result.stderr).toBe(0);
}

/** The run's jobs in every queue and state, and its run-store keys. */
async function leftOf(runId: string): Promise<{ jobs: number; keys: string[] }> {
  let jobs = 0;
  for (const stage of STAGES) {
    const queue = new Queue(stage, { connection: client, prefix: stageQueuePrefix('gavel', stage) });
    const ids = await queue.getRanges(['completed', 'failed', 'wait', 'active', 'delayed', 'prioritized'], 0, -1);
    jobs += ids.filter((id) => id.startsWith(`${runId}~`)).length;
    await queue.close();
  }
  return { jobs, keys: await client.keys(`${runKeyPrefix('gavel', runId)}*`) };
}

async function listed(): Promise<string[]> {
  const out = await gavel(['runs', '--json'], env);
  return out.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { run_id: string }).run_id);
}

describe('gavel runs rm, runs prune and the doctor memory check', () => {
  it('runs rm deletes a finished run (jobs in every queue, keys) and leaves the others; refuses an active run unless --force', async () => {
    await enqueue('run-keep', 5);
    await enqueue('run-gone', 5);
    const workers = startWorkers(env);
    try {
      for (const runId of ['run-keep', 'run-gone']) {
        expect((await gavel(['wait', runId, '--timeout', '60'], env, 90_000)).code).toBe(0);
      }
    } finally {
      await workers.stop();
    }
    const before = await leftOf('run-gone');
    expect(before.jobs).toBeGreaterThanOrEqual(10);
    expect(before.keys.length).toBeGreaterThan(3);

    const removed = await gavel(['runs', 'rm', 'run-gone', '--json'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ run_id: 'run-gone', jobs_left_active: 0 });
    expect(await leftOf('run-gone')).toEqual({ jobs: 0, keys: [] });
    expect(await listed()).toEqual(['run-keep']);
    const kept = await leftOf('run-keep');
    expect(kept.jobs).toBeGreaterThanOrEqual(10);
    expect((await gavel(['export', 'run-keep'], env)).stdout.trim().split('\n')).toHaveLength(5);

    // A run with an active job: a real BullMQ worker holds one of its sandbox jobs.
    await enqueue('run-busy', 3);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let taken = false;
    const holderConnection = client.duplicate();
    const holder = new Worker(
      'sandbox',
      async () => {
        taken = true;
        await held;
      },
      { connection: holderConnection, prefix: stageQueuePrefix('gavel', 'sandbox'), concurrency: 1 },
    );
    try {
      while (!taken) await sleep(10);
      const refused = await gavel(['runs', 'rm', 'run-busy'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('run run-busy has 1 active job(s)');
      expect(await listed()).toContain('run-busy');
      const forced = await gavel(['runs', 'rm', 'run-busy', '--force', '--json'], env);
      expect(forced.code, forced.stderr).toBe(0);
      expect(JSON.parse(forced.stdout)).toMatchObject({ jobs_removed: 2, jobs_left_active: 1 });
      expect(await listed()).not.toContain('run-busy');
    } finally {
      release();
      await holder.close();
      holderConnection.disconnect();
    }
  });

  it('runs prune removes runs older than the retention (flag or GAVEL_RETENTION_DAYS) and keeps newer or unfinished ones', async () => {
    await enqueue('run-old', 2);
    await enqueue('run-old-busy', 2);
    const workers = startWorkers(env, ['--stages', 'sandbox,judge']);
    try {
      expect((await gavel(['wait', 'run-old', '--timeout', '60'], env, 90_000)).code).toBe(0);
      expect((await gavel(['wait', 'run-old-busy', '--timeout', '60'], env, 90_000)).code).toBe(0);
    } finally {
      await workers.stop();
    }
    // Both were created ten days ago (their place in the run list is their creation time); one
    // has a job waiting again (a retry someone started).
    const tenDaysAgo = Date.now() - 10 * 86_400_000;
    await client.zadd('gavel:runs', 'XX', tenDaysAgo, 'run-old', tenDaysAgo, 'run-old-busy');
    const judge = new Queue('judge', { connection: client, prefix: stageQueuePrefix('gavel', 'judge') });
    await (await judge.getJob('run-old-busy~run-old-busy-s-0'))?.retry('completed');
    await judge.close();

    const none = await gavel(['runs', 'prune'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give --older-than DAYS or set GAVEL_RETENTION_DAYS');
    const dry = await gavel(['runs', 'prune', '--older-than', '7', '--dry-run'], env);
    expect(dry.stderr).toContain('run run-old would be removed');
    expect(await listed()).toContain('run-old');
    const pruned = await gavel(['runs', 'prune'], { ...env, GAVEL_RETENTION_DAYS: '7' });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toContain('run run-old-busy kept: 1 job(s) still waiting or running');
    expect(pruned.stderr).toContain('1 run(s) older than 7 day(s) removed');
    const runs = await listed();
    expect(runs).not.toContain('run-old');
    expect(runs).toContain('run-old-busy');
    expect(runs).toContain('run-keep');
    expect(await leftOf('run-old')).toEqual({ jobs: 0, keys: [] });
  });

  it('doctor warns on unbounded maxmemory and on low headroom, without failing', async () => {
    const unbounded = await gavel(['doctor'], env);
    expect(unbounded.stdout).toMatch(/warn redis memory: [\d.]+ MiB used, maxmemory unbounded/);
    const used = Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1]);
    // 10% more than is used now: about 9% headroom.
    await client.config('SET', 'maxmemory', String(Math.ceil(used * 1.1)));
    try {
      const low = await gavel(['doctor'], env);
      expect(low.stdout).toMatch(/warn redis memory: [\d.]+ MiB of [\d.]+ MiB used \(\d% headroom\)/);
      expect(low.stdout).not.toMatch(/FAIL redis memory/);
      await client.config('SET', 'maxmemory', String(used * 10));
      const roomy = await gavel(['doctor'], env);
      expect(roomy.stdout).toMatch(/ok {3}redis memory: [\d.]+ MiB of [\d.]+ MiB used \(9\d% headroom\)/);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
  });
});
