import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKey, stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, startWorkers, textSample, workerPids } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let client: Redis;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'gavel-crash-'));
  // Short locks so a killed worker's jobs are picked up again within seconds.
  env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_LOCK_DURATION_MS: '2000',
    GAVEL_STALLED_INTERVAL_MS: '1000',
    GAVEL_CONCURRENCY: '8',
  };
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(25);
  }
}

describe('workers killed mid-run', () => {
  it('SIGKILLing stage workers twice mid-run still exports exactly one verdict per sample', async () => {
    const total = 3000;
    const file = join(dir, 'crash.jsonl');
    await writeFile(file, jsonl(Array.from({ length: total }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', 'run-crash'], env)).code).toBe(0);
    const workers = startWorkers(env);
    try {
      // First kill: the sandbox worker, once it is well into the run.
      await waitFor(async () => (await client.hlen(runKey('gavel', 'run-crash', 'facts'))) > 300, 60_000);
      await waitFor(async () => workerPids(workers.output()).has('sandbox'), 10_000);
      const first = workerPids(workers.output());
      process.kill(first.get('sandbox') as number, 'SIGKILL');
      process.kill(first.get('judge') as number, 'SIGKILL');
      const factsAtKill = await client.hlen(runKey('gavel', 'run-crash', 'facts'));
      expect(factsAtKill).toBeLessThan(total);
      // Second kill: the restarted judge worker, later in the run.
      await waitFor(async () => (await client.hlen(runKey('gavel', 'run-crash', 'verdicts'))) > 1500, 90_000);
      await waitFor(async () => {
        const pid = workerPids(workers.output()).get('judge');
        return pid !== undefined && pid !== first.get('judge');
      }, 10_000);
      process.kill(workerPids(workers.output()).get('judge') as number, 'SIGKILL');
      expect(await client.hlen(runKey('gavel', 'run-crash', 'verdicts'))).toBeLessThan(total);
      const waited = await gavel(['wait', 'run-crash', '--timeout', '150'], env, 200_000);
      expect(waited.code, waited.stderr).toBe(0);
      expect(workers.output()).toMatch(/worker-judge \(pid \d+\) exited \(SIGKILL\); restarting/);
    } finally {
      await workers.stop();
    }
    const out = join(dir, 'crash-export.jsonl');
    expect((await gavel(['export', 'run-crash', '--out', out], env)).code).toBe(0);
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sample_id: string; status: string; verdict: { pass: boolean } | null });
    expect(records).toHaveLength(total);
    expect(new Set(records.map((r) => r.sample_id)).size).toBe(total);
    expect(records.every((r) => r.status === 'verdict' && r.verdict !== null)).toBe(true);
    expect(await client.hlen(runKey('gavel', 'run-crash', 'failures'))).toBe(0);
  });

  it('SIGTERM drains: the workers exit, and a later start finishes the run', async () => {
    const total = 2000;
    const file = join(dir, 'drain.jsonl');
    await writeFile(file, jsonl(Array.from({ length: total }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', 'run-drain'], env)).code).toBe(0);
    // At debug level each worker logs its start and every shutdown step: a job left active names its cause.
    const workers = startWorkers({ ...env, GAVEL_LOG_LEVEL: 'debug' });
    await waitFor(async () => (await client.hlen(runKey('gavel', 'run-drain', 'facts'))) > 100, 60_000);
    const stopped = await workers.stop('SIGTERM');
    // 128 + SIGTERM's number, as a process stopped by the signal reports it.
    expect(stopped.code).toBe(143);
    expect(workers.output()).toMatch(/SIGTERM: stopping workers/);
    const midway = await client.hlen(runKey('gavel', 'run-drain', 'verdicts'));
    expect(midway).toBeLessThan(total);
    // Nothing was left active: every job finished or went back to the queue.
    const lifecycle = workers
      .output()
      .split('\n')
      .filter((line) => !/"msg":"job done"/.test(line))
      .join('\n');
    for (const name of ['sandbox', 'judge'] as const) {
      const queue = new Queue(name, { connection: client, prefix: stageQueuePrefix('gavel', name) });
      const active = await queue.getActive();
      expect(
        active.map((job) => job.id),
        `${name}: jobs left active\n${lifecycle.slice(-12_000)}`,
      ).toEqual([]);
      await queue.close();
    }
    const again = startWorkers(env);
    try {
      expect((await gavel(['wait', 'run-drain', '--timeout', '120'], env)).code).toBe(0);
    } finally {
      await again.stop();
    }
    expect(await client.hlen(runKey('gavel', 'run-drain', 'verdicts'))).toBe(total);
  });
});
