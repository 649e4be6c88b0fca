import { withoutPassword } from '@gavel/core';
import { Cluster, Redis } from 'ioredis';
import { coalesceWrites } from './write-coalescing.ts';

export type RedisRole = 'worker' | 'client';

/** A connection to one Redis or to a Redis Cluster (ioredis `Cluster`). */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server by URL, or the seed nodes of a Redis Cluster. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: readonly { host: string; port: number }[] };

/** What a process connects to: `GAVEL_REDIS_CLUSTER` when set, else `GAVEL_REDIS_URL`. */
export function redisTarget(config: {
  GAVEL_REDIS_URL: string;
  GAVEL_REDIS_CLUSTER?: readonly { host: string; port: number }[] | undefined;
}): RedisTarget {
  return config.GAVEL_REDIS_CLUSTER
    ? { kind: 'cluster', nodes: config.GAVEL_REDIS_CLUSTER }
    : { kind: 'single', url: config.GAVEL_REDIS_URL };
}

/** The target for messages (a URL's password redacted). */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === 'cluster')
    return `the Redis Cluster at ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return `Redis at ${withoutPassword(target.url)}`;
}

/** The variable a user sets to move the target (for "set …" hints). */
export function redisTargetVariable(target: RedisTarget): string {
  return target.kind === 'cluster' ? 'GAVEL_REDIS_CLUSTER' : 'GAVEL_REDIS_URL';
}

/** How a connection behaves (see {@link createRedis}). */
export interface RedisOptions {
  role?: RedisRole;
  connectionName?: string;
  commandTimeoutMs?: number;
}

/** True for an ioredis `Cluster` connection. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}

/**
 * An ioredis connection to one Redis (a URL) or to a Redis Cluster (a {@link RedisTarget} of kind
 * `cluster`: ioredis `Cluster`, reads from masters). `worker` is for every long-lived process
 * (stage workers, their run store, the gpu-agent, the board): it reconnects for ever with backoff
 * (up to 5 s) and a command waits for the connection instead of failing
 * (`maxRetriesPerRequest: null`, which BullMQ workers also need; in a cluster it also rides out a
 * failover's CLUSTERDOWN and MOVED answers for about a minute). `client` is for the CLI only: it
 * fails fast so a command never hangs on a dead Redis. `commandTimeoutMs` rejects any command not
 * answered in time (`Command timed out`, also one waiting in the offline queue); only for
 * connections that never block (no BullMQ worker), such as the API's.
 */
export function createRedis(target: string | { kind: 'single'; url: string }, options?: RedisOptions): Redis;
export function createRedis(target: RedisTarget, options?: RedisOptions): RedisClient;
export function createRedis(target: string | RedisTarget, options: RedisOptions = {}): RedisClient {
  const role = options.role ?? 'client';
  const resolved: RedisTarget = typeof target === 'string' ? { kind: 'single', url: target } : target;
  const retryStrategy = (times: number): number | null =>
    role === 'worker' ? Math.min(times * 200, 5_000) : times > 3 ? null : times * 200;
  const perConnection = {
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs }),
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    connectionName: options.connectionName,
  };
  if (resolved.kind === 'cluster') {
    return new Cluster(
      resolved.nodes.map((n) => ({ host: n.host, port: n.port })),
      {
        scaleReads: 'master',
        enableOfflineQueue: true,
        clusterRetryStrategy: retryStrategy,
        // A failover answers CLUSTERDOWN / TRYAGAIN / MOVED for a few seconds: a worker waits it out.
        maxRedirections: role === 'worker' ? 200 : 16,
        retryDelayOnClusterDown: 300,
        retryDelayOnTryAgain: 300,
        retryDelayOnFailover: 300,
        lazyConnect: false,
        redisOptions: perConnection,
      },
    );
  }
  const redis = new Redis(resolved.url, {
    ...perConnection,
    enableOfflineQueue: true,
    retryStrategy,
    lazyConnect: false,
  });
  coalesceWrites(redis);
  return redis;
}

/**
 * Pings within `deadlineMs` (a `worker` connection would otherwise wait for ever on a dead Redis);
 * rejects with the reason.
 */
export async function pingWithin(redis: RedisClient, deadlineMs: number): Promise<void> {
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
export async function closeRedis(redis: RedisClient): Promise<void> {
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
