import { Redis } from 'ioredis';

export type RedisRole = 'worker' | 'client';

/**
 * An ioredis connection. `worker` is for every long-lived process (stage workers, their run store,
 * the gpu-agent, the board): it reconnects for ever with backoff (up to 5 s) and a command waits
 * for the connection instead of failing (`maxRetriesPerRequest: null`, which BullMQ workers also
 * need). `client` is for the CLI only: it fails fast so a command never hangs on a dead Redis.
 * `commandTimeoutMs` rejects any command not answered in time (`Command timed out`, also one waiting
 * in the offline queue); only for connections that never block (no BullMQ worker), such as the API's.
 */
export function createRedis(
  url: string,
  options: { role?: RedisRole; connectionName?: string; commandTimeoutMs?: number } = {},
): Redis {
  const role = options.role ?? 'client';
  return new Redis(url, {
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs }),
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableOfflineQueue: true,
    connectionName: options.connectionName,
    retryStrategy: (times) => (role === 'worker' ? Math.min(times * 200, 5_000) : times > 3 ? null : times * 200),
    lazyConnect: false,
  });
}

/**
 * Pings within `deadlineMs` (a `worker` connection would otherwise wait for ever on a dead Redis);
 * rejects with the reason.
 */
export async function pingWithin(redis: Redis, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${deadlineMs / 1000} s`)), deadlineMs);
  });
  try {
    await Promise.race([redis.ping(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes a connection, gracefully if possible; safe to call twice. A connection that is not ready
 * (Redis away, reconnecting) is dropped at once: a QUIT would wait for a Redis that may never return.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
