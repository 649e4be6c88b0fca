import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKey } from '@gavel/core';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.ts';

const SAMPLES = Number(process.env.GAVEL_TEST_FAILOVER_SAMPLES ?? 200);

let cluster: RedisCluster;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  dir = await mkdtemp(join(tmpdir(), 'gavel-failover-'));
  env = { GAVEL_REDIS_CLUSTER: cluster.seeds, GAVEL_LOG_LEVEL: 'warn', GAVEL_CONCURRENCY: '8' };
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a Redis Cluster failover mid-run', () => {
  it.each([
    { runId: 'run-failover', behind: false },
    // The replica paused (SIGSTOP) for a second before the kill, its link filled: the verdicts
    // the master acknowledged meanwhile never reach it, as asynchronous replication allows.
    { runId: 'run-failover-behind', behind: true },
  ])(
    "SIGKILL of the run's master (replica behind: $behind): the replica is promoted, what it never got is counted, reconcile re-runs it, every sample ends with one verdict",
    async ({ runId, behind }) => {
      const file = join(dir, 'samples.jsonl');
      await writeFile(file, jsonl(Array.from({ length: SAMPLES }, (_, i) => textSample(i))));
      expect((await gavel(['enqueue', file, '--run', runId], env)).code).toBe(0);
      const verdictsKey = runKey('gavel', runId, 'verdicts');
      const master = await cluster.masterOf(verdictsKey);
      const direct = new Redis({ host: '127.0.0.1', port: master.port });
      const workers = startWorkers(env);
      let seenByMaster: string[] = [];
      let afterPromotion: string[] = [];
      let recoveredS = 0;
      try {
        while ((await direct.hlen(verdictsKey)) < SAMPLES / 4) await sleep(5);
        const replica = await cluster.replicaOf(master.port);
        if (behind) {
          replica.process.kill('SIGSTOP');
          // 16 MiB written to the run's slot first fill the kernel's socket buffers towards the
          // stopped replica, so what the master acknowledges next stays in its own output buffer.
          await direct.set(runKey('gavel', runId, 'failover-ballast'), 'x'.repeat(16 * 1024 * 1024));
          await sleep(1_000);
        }
        // What the master had acknowledged at the instant it dies (the workers keep writing).
        seenByMaster = await direct.hkeys(verdictsKey);
        direct.disconnect();
        await master.kill('SIGKILL');
        if (behind) replica.process.kill('SIGCONT');
        const killedAt = Date.now();
        await cluster.waitHealthy(3, 60_000);
        const promoted = await cluster.masterOf(verdictsKey);
        expect(promoted.port).not.toBe(master.port);
        const probe = new Redis({ host: '127.0.0.1', port: promoted.port });
        afterPromotion = await probe.hkeys(verdictsKey);
        probe.disconnect();
        recoveredS = (Date.now() - killedAt) / 1000;
      } catch (error) {
        await workers.stop();
        throw error;
      }
      // Asynchronous replication: an acknowledged verdict the replica never received is gone.
      const promotedHas = new Set(afterPromotion);
      const lostVerdicts = seenByMaster.filter((id) => !promotedHas.has(id)).length;

      let reconciled = 0;
      try {
        // Wait until the workers have done what their queues still hold, then give every sample
        // whose state (or job) the failover lost its job again, until none is left undecided.
        for (let round = 0; round < 10; round += 1) {
          const waited = await gavel(['wait', runId, '--timeout', '10'], env, 60_000);
          if (waited.code === 0) break;
          const result = await gavel(['reconcile', runId, '--json'], env);
          expect(result.code, result.stderr).toBe(0);
          const restored = JSON.parse(result.stdout) as { restored: Record<string, number> };
          reconciled += Object.values(restored.restored).reduce((a, b) => a + b, 0);
        }
        const done = await gavel(['wait', runId, '--timeout', '5'], env, 30_000);
        expect(done.code, `${done.stderr}\n${workers.output()}`).toBe(0);
      } finally {
        await workers.stop();
      }
      const client = new Cluster([{ host: '127.0.0.1', port: (await cluster.masters())[0] as number }]);
      try {
        const verdicts = await client.hlen(verdictsKey);
        const failures = await client.hgetall(runKey('gavel', runId, 'failures'));
        expect(verdicts + Object.keys(failures).length).toBe(SAMPLES);
        // Any failure says why (none is expected: a failover is transient).
        expect(failures).toEqual({});
      } finally {
        client.disconnect();
      }
      const exported = await gavel(['export', runId], env);
      const ids = exported.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { sample_id: string }).sample_id);
      expect(ids).toHaveLength(SAMPLES);
      expect(new Set(ids).size).toBe(SAMPLES);
      process.stdout.write(
        `${JSON.stringify({
          figure: 'cluster_failover',
          replica_behind: behind,
          samples: SAMPLES,
          verdicts_acknowledged_at_kill: seenByMaster.length,
          verdicts_lost_in_failover: lostVerdicts,
          promoted_in_s: Number(recoveredS.toFixed(1)),
          jobs_restored_by_reconcile: reconciled,
          final_verdicts: SAMPLES,
        })}\n`,
      );
    },
    900_000,
  );
});
