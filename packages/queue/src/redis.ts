import { Redis } from 'ioredis';

export type RedisRole = 'worker' | 'client';

/**
 * An ioredis connection. Workers need `maxRetriesPerRequest: null` (BullMQ blocks on them);
 * clients fail fast so a CLI never hangs on a dead Redis.
 */
export function createRedis(url: string, options: { role?: RedisRole; connectionName?: string } = {}): Redis {
  const role = options.role ?? 'client';
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableOfflineQueue: true,
    connectionName: options.connectionName,
    retryStrategy: (times) => (role === 'worker' ? Math.min(times * 200, 5_000) : times > 3 ? null : times * 200),
    lazyConnect: false,
  });
}

/** Closes a connection, gracefully if possible; safe to call twice. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
