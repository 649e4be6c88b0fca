import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../../test/support/redis.ts';
import { GpuLease, LeaseLostError } from './lease.ts';

let server: RedisServer;
let redis: Redis;
let n = 0;

beforeAll(async () => {
  server = await startRedis({ appendonly: false });
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const lease = (ttlMs = 5_000): GpuLease => new GpuLease({ redis, prefix: `t${n++}`, gpuId: '0', ttlMs });

async function until(predicate: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await predicate()); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('GpuLease', () => {
  it('grants the card to one holder at a time and hands out increasing fencing tokens', async () => {
    const l = lease();
    const a = await l.tryAcquire('agent-a', 'ollama');
    expect(a?.token).toBe(1);
    expect(await l.tryAcquire('agent-b', 'ollama')).toBeUndefined();
    const b = await l.transfer(a as NonNullable<typeof a>, 'vllm', 'handover');
    expect(b.token).toBeGreaterThan(a?.token ?? 0);
    expect(b.owner).toBe('vllm');
    expect(await l.current()).toMatchObject({ holder: 'agent-a', owner: 'vllm', phase: 'handover', token: b.token });
    expect(await l.lastToken()).toBe(b.token);
  });

  it('refuses every action of a holder whose lease expired once someone else holds the card', async () => {
    const l = lease(150);
    const stale = await l.tryAcquire('paused-agent', 'vllm');
    if (!stale) throw new Error('no grant');
    await until(async () => (await l.current()) === undefined);
    const fresh = await l.tryAcquire('new-agent', 'ollama');
    expect(fresh?.token).toBeGreaterThan(stale.token);

    for (const action of [
      () => l.renew(stale),
      () => l.fence(stale, 'start vLLM'),
      () => l.setPhase(stale, 'ready'),
      () => l.transfer(stale, 'ollama', 'ready'),
      () => l.release(stale),
    ]) {
      const error = await action().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LeaseLostError);
      expect((error as LeaseLostError).current?.holder).toBe('new-agent');
      expect((error as Error).message).toMatch(/fencing token \d+: the lease is held by new-agent/);
    }
    // The new holder is untouched by the stale holder's attempts.
    expect(await l.current()).toMatchObject({ holder: 'new-agent', token: fresh?.token });
  });

  it('refuses the old token of the same holder after a transfer', async () => {
    const l = lease();
    const first = await l.tryAcquire('agent', 'ollama');
    if (!first) throw new Error('no grant');
    const second = await l.transfer(first, 'vllm', 'handover');
    await expect(l.fence(first, 'unload Ollama')).rejects.toBeInstanceOf(LeaseLostError);
    await expect(l.fence(second, 'unload Ollama')).resolves.toBeUndefined();
  });

  it('renews the expiry only for the holder and releases by compare-and-delete', async () => {
    const l = lease(300);
    const grant = await l.tryAcquire('agent', 'ollama');
    if (!grant) throw new Error('no grant');
    await l.renew(grant);
    const ttl = await redis.pttl(l.keys.lease);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    await expect(l.release({ ...grant, holder: 'someone-else' })).rejects.toBeInstanceOf(LeaseLostError);
    await l.release(grant);
    expect(await l.current()).toBeUndefined();
    expect((await l.tryAcquire('next', 'ollama'))?.token).toBe(grant.token + 1);
  });

  it('publishes every grant and phase change on the GPU channel', async () => {
    const l = lease();
    const sub = redis.duplicate();
    const messages: string[] = [];
    sub.on('message', (_channel: string, message: string) => messages.push(message));
    await sub.subscribe(l.keys.channel);
    const grant = await l.tryAcquire('agent', 'ollama');
    if (!grant) throw new Error('no grant');
    await l.setPhase(grant, 'draining');
    await until(async () => messages.length >= 2);
    sub.disconnect();
    expect(messages.map((m) => JSON.parse(m).phase)).toEqual(['ready', 'draining']);
  });

  it('waits for an expired lease and takes it', async () => {
    const l = lease(200);
    await l.tryAcquire('dead-agent', 'vllm');
    const grant = await l.acquire('next-agent', 'ollama', { signal: AbortSignal.timeout(5_000), pollMs: 20 });
    expect(grant).toMatchObject({ holder: 'next-agent', owner: 'ollama', token: 2 });
  });
});
