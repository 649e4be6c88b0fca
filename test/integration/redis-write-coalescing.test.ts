import { once } from 'node:events';
import { closeRedis, createRedis } from '@gavel/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let admin: Redis;

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});

afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

/** How many socket reads Redis made to take `send`'s commands (its own count, INFO stats). */
async function readsFor(send: () => Promise<unknown>): Promise<number> {
  const reads = async (): Promise<number> =>
    Number(/total_reads_processed:(\d+)/.exec(await admin.info('stats'))?.[1] ?? Number.NaN);
  const before = await reads();
  await send();
  // The admin's own INFO is one read.
  return (await reads()) - before - 1;
}

/** 200 commands issued in one turn of the event loop; their replies, in order. */
function burst(client: Redis, key: string): Promise<number[]> {
  return Promise.all(Array.from({ length: 200 }, () => client.incr(key)));
}

const ascending = Array.from({ length: 200 }, (_, i) => i + 1);

describe('a gavel Redis connection sends the commands of one turn in one write', () => {
  it('Redis takes 200 commands of one turn in a handful of reads, not one read each, and every reply matches its command', async () => {
    // Written one by one (plain ioredis), the burst costs Redis one read per command when it keeps up
    // with the writes (139–192 of 200 measured here); how few reads it takes then depends on the load, so
    // only the coalesced side is asserted.
    const client = createRedis(redis.url);
    try {
      await client.ping();
      let replies: number[] = [];
      const reads = await readsFor(async () => {
        replies = await burst(client, 'coalesced');
      });
      expect(replies).toEqual(ascending);
      expect(reads).toBeLessThanOrEqual(4);
    } finally {
      await closeRedis(client);
    }
  });

  it('commands awaited one after another each still go out (nothing waits in a corked socket)', async () => {
    const client = createRedis(redis.url);
    try {
      for (let i = 1; i <= 50; i++) expect(await client.incr('sequential')).toBe(i);
    } finally {
      await closeRedis(client);
    }
  });

  it('a reconnected connection coalesces on its new socket', async () => {
    const client = createRedis(redis.url, { role: 'worker', connectionName: 'coalescing-reconnect' });
    try {
      await client.ping();
      const reconnected = once(client, 'ready');
      await admin.client('KILL', 'USER', 'default', 'SKIPME', 'yes');
      await reconnected;
      let replies: number[] = [];
      const reads = await readsFor(async () => {
        replies = await burst(client, 'after-reconnect');
      });
      expect(replies).toEqual(ascending);
      expect(reads).toBeLessThanOrEqual(4);
    } finally {
      await closeRedis(client);
    }
  });
});
