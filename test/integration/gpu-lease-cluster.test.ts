import { GpuLease, LeaseLostError, watchLease } from '@gavel/gpu-lease';
import { createRedis, type RedisClient } from '@gavel/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.ts';

let cluster: RedisCluster;
let redis: RedisClient;
let subscriber: RedisClient;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  const target = { kind: 'cluster' as const, nodes: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })) };
  redis = createRedis(target, { role: 'worker' });
  subscriber = createRedis(target, { role: 'worker' });
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  subscriber?.disconnect();
  await cluster?.stop();
});

describe('the GPU lease on a three-master Redis Cluster', () => {
  it('grants, fences and hands over under the GPU tag; a watcher hears every change by pub/sub alone', async () => {
    const lease = new GpuLease({ redis, prefix: 'gavel', gpuId: '0', ttlMs: 5_000 });
    // A poll far beyond the test: every change below arrives by the lease scripts' PUBLISH.
    const watch = watchLease({ lease, subscriber, pollMs: 600_000 });
    await watch.ready;
    const seen: (string | undefined)[] = [];
    watch.onChange((record) =>
      seen.push(record ? `${record.holder}:${record.owner}:${record.phase}:${record.token}` : undefined),
    );
    const until = async (n: number) => {
      for (let i = 0; i < 200 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 25));
    };
    const a = await lease.tryAcquire('agent-a', 'ollama');
    expect(a?.token).toBe(1);
    expect(await lease.tryAcquire('agent-b', 'ollama')).toBeUndefined();
    await until(1);
    const b = await lease.transfer(a as NonNullable<typeof a>, 'vllm', 'handover');
    await until(2);
    await lease.setPhase(b, 'ready');
    await until(3);
    await lease.release(b);
    await until(4);
    expect(seen).toEqual(['agent-a:ollama:ready:1', 'agent-a:vllm:handover:2', 'agent-a:vllm:ready:2', undefined]);
    // The holder of a released lease is fenced off.
    await expect(lease.renew(b)).rejects.toBeInstanceOf(LeaseLostError);
    await watch.close();
  }, 60_000);
});
