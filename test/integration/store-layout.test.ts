import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  arbiterBatchKey,
  arbiterRunKey,
  legacyKeys,
  runKey,
  runKeyPrefix,
  STAGES,
  stageQueuePrefix,
  storeLayoutKey,
} from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { startStageProcess } from '../support/stage-process.ts';

let redis: RedisServer;
let client: Redis;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'gavel-layout-'));
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_CONCURRENCY: '8' };
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

const OLD_QUEUE_PREFIX = '{gavel}';

/**
 * Turns what this gavel wrote for `runId` into what a gavel before per-run hash tags would have
 * left: run keys renamed to `gavel:run:<id>:<part>`, no layout version, the queued jobs moved to
 * the old `{gavel}:<stage>` queues, and an arbiter batch's global record and per-batch keys.
 */
async function toOldLayout(runId: string): Promise<void> {
  const keys = await client.keys(`${runKeyPrefix('gavel', runId)}*`);
  for (const key of keys) {
    await client.rename(key, `gavel:run:${runId}:${key.slice(runKeyPrefix('gavel', runId).length)}`);
  }
  await client.del(storeLayoutKey('gavel'));
  for (const stage of STAGES) {
    const current = new Queue(stage, { connection: client, prefix: stageQueuePrefix('gavel', stage) });
    const old = new Queue(stage, { connection: client, prefix: OLD_QUEUE_PREFIX });
    for (const job of await current.getJobs(['wait', 'delayed', 'prioritized'])) {
      if (job.id) await old.add(job.name, job.data, { jobId: job.id });
    }
    await current.obliterate({ force: true });
    await current.close();
    await old.close();
  }
  const record = {
    batch_id: 'msgbatch_old',
    run_id: runId,
    model: 'claude-x',
    intent: 'i',
    custom_ids: [],
    created_at: 1,
  };
  await client.set(legacyKeys.batchRecord('gavel', 'msgbatch_old'), JSON.stringify(record));
  await client.set(`${legacyKeys.batchRecord('gavel', 'msgbatch_old')}:polls`, '3');
  await client.set(`${legacyKeys.batchRecord('gavel', 'msgbatch_old')}:poll`, 'token', 'PX', 60_000);
}

describe('the run store key layout', () => {
  it('refuses runs of the old layout with how to migrate; gavel migrate moves them and the run finishes', async () => {
    const runId = 'run-old-layout';
    const total = 40;
    const file = join(dir, 'old.jsonl');
    await writeFile(file, jsonl(Array.from({ length: total }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', runId], env)).code).toBe(0);
    // A partial run: some samples decided, the rest queued at some stage, as an upgrade finds it. One
    // job at a time per stage: at the default concurrency the stages take all 40 in one wave (each
    // turn's run-store writes go in one script), so a few verdicts would already mean all of them.
    const partial = startWorkers({ ...env, GAVEL_CONCURRENCY: '1' });
    while ((await client.hlen(runKey('gavel', runId, 'verdicts'))) < 10) await sleep(5);
    await partial.stop();
    await toOldLayout(runId);
    const decidedBefore = await client.hlen(`gavel:run:${runId}:verdicts`);
    expect(decidedBefore).toBeGreaterThanOrEqual(10);
    expect(decidedBefore).toBeLessThan(total);

    // Every entry point refuses, in one line that says what to do.
    const status = await gavel(['status', runId], env);
    expect(status.code).not.toBe(0);
    expect(status.stderr.trim().split('\n')).toHaveLength(1);
    expect(status.stderr).toContain('old key layout');
    expect(status.stderr).toContain('gavel migrate');
    const runs = await gavel(['runs'], env);
    expect(runs.code).not.toBe(0);
    expect(runs.stderr).toContain('gavel migrate');
    const again = await gavel(['enqueue', file, '--run', 'run-new-beside-old'], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('gavel migrate');
    expect(await client.exists(runKey('gavel', 'run-new-beside-old', 'manifest'))).toBe(0);
    const worker = startStageProcess('sandbox', env);
    const exit = await worker.exited;
    expect(exit.code).toBe(78);
    expect(worker.stderr()).toContain('gavel migrate');

    // While a gavel process is connected, migrate refuses.
    const lingering = new Redis(redis.url, { connectionName: 'gavel-judge' });
    await lingering.ping();
    const refused = await gavel(['migrate'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gavel processes are still connected to Redis (gavel-judge)');
    lingering.disconnect();
    await sleep(200);

    const migrated = await gavel(['migrate', '--json'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    const report = JSON.parse(migrated.stdout) as Record<string, unknown>;
    expect(report.runs).toEqual([runId]);
    expect(report.left).toEqual([]);
    expect(report.batch_keys_moved).toBe(1);
    // the poll lock and the global record copy
    expect(report.keys_dropped).toBe(2);
    expect(report.requeued).toBe(total - decidedBefore);
    expect(await client.keys('gavel:run:*')).toEqual([]);
    expect(await client.keys('gavel:arb:batch:*')).toEqual([]);
    expect(await client.keys(`${OLD_QUEUE_PREFIX}:*`)).toEqual([]);
    expect(await client.get(arbiterBatchKey('gavel', runId, 'msgbatch_old', 'polls'))).toBe('3');
    expect(await client.hexists(arbiterRunKey('gavel', runId, 'batch-records'), 'msgbatch_old')).toBe(1);
    expect(await client.hlen(runKey('gavel', runId, 'verdicts'))).toBe(decidedBefore);

    // Running it again changes nothing.
    const twice = await gavel(['migrate', '--json'], env);
    expect(twice.code, twice.stderr).toBe(0);
    expect(JSON.parse(twice.stdout)).toMatchObject({ runs: [], keys_moved: 0, requeued: 0 });

    const workers = startWorkers(env);
    try {
      const done = await gavel(['wait', runId, '--timeout', '120'], env, 150_000);
      expect(done.code, done.stderr).toBe(0);
    } finally {
      await workers.stop();
    }
    expect(await client.hlen(runKey('gavel', runId, 'verdicts'))).toBe(total);
    expect(await client.hlen(runKey('gavel', runId, 'failures'))).toBe(0);
  }, 300_000);

  it('a producer stopped between listing a run and writing its manifest: the run is listed, reconcile says so, enqueuing again finishes it', async () => {
    const runId = 'run-listed-only';
    // What createRun's first step leaves alone: the run list entry (another slot than the run's keys).
    await client.zadd('gavel:runs', Date.now(), runId);
    const listed = await gavel(['runs', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const row = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { run_id: string; created_at: string | null; samples: number })
      .find((r) => r.run_id === runId);
    expect(row).toMatchObject({ run_id: runId, created_at: null, samples: 0 });
    const reconcile = await gavel(['reconcile', runId], env);
    expect(reconcile.code).toBe(1);
    expect(reconcile.stderr).toContain(`run ${runId} is listed but has no manifest`);
    expect(reconcile.stderr).toContain(`--run ${runId}`);
    const file = join(dir, 'listed.jsonl');
    await writeFile(file, jsonl(Array.from({ length: 3 }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', runId], env)).code).toBe(0);
    expect(await client.exists(runKey('gavel', runId, 'manifest'))).toBe(1);
    expect(await client.llen(runKey('gavel', runId, 'order'))).toBe(3);
  }, 120_000);
});
