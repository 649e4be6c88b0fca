import { z } from 'zod';
import { envPort, parseEnv } from './env.ts';
import { ConfigError } from './errors.ts';

/** `host:port[,host:port…]` (IPv6 as `[::1]:7000`): the seed nodes of a Redis Cluster. */
export const envRedisCluster = z.string().transform((value, ctx) => {
  const nodes: { host: string; port: number }[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[3]) : 0;
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${JSON.stringify(entry)} is not host:port (list them as host:port,host:port)`,
      });
      return z.NEVER;
    }
    nodes.push({ host: (match[1] ?? match[2]) as string, port });
  }
  return nodes;
});

/**
 * Configuration every gavel process shares. Each stage adds its own section (for example the
 * judge's `GAVEL_JUDGE_*`), parsed by its main with {@link parseEnv}.
 */
export const BaseEnv = z.object({
  /** @default redis://127.0.0.1:6379 */
  GAVEL_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /**
   * A Redis Cluster's seed nodes, `host:port[,host:port…]`; when set, every process connects to
   * the cluster (ioredis `Cluster`) instead of `GAVEL_REDIS_URL`.
   */
  GAVEL_REDIS_CLUSTER: envRedisCluster.optional(),
  /**
   * BullMQ key prefix; each stage's queue adds its own hash tag (`gavel:{sandbox}`, …) so the
   * stages spread over a Redis Cluster's masters. Braces here are dropped (a tag here would put
   * every queue in one slot). @default gavel
   */
  GAVEL_QUEUE_PREFIX: z
    .string()
    .min(1)
    .regex(/^[^:\s]+$/, 'must not contain ":" or spaces')
    .transform((v) => v.replace(/[{}]/g, ''))
    .pipe(z.string().min(1, 'must not be only braces'))
    .default('gavel'),
  /** Prefix of run-store keys. @default gavel */
  GAVEL_STORE_PREFIX: z
    .string()
    .min(1)
    .regex(/^[^:\s]+$/, 'must not contain ":" or spaces')
    .default('gavel'),
  GAVEL_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Jobs a stage worker runs at once; unset means the stage's own default. */
  GAVEL_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /** Attempts per job before it fails for good (transient errors only); unset means each stage's own default. */
  GAVEL_ATTEMPTS: z.coerce.number().int().positive().optional(),
  /** Metrics listen address. @default 127.0.0.1 */
  GAVEL_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Metrics port; 0 picks a free one (registered in the file_sd directory). @default 0 */
  GAVEL_METRICS_PORT: envPort.default(0),
  /**
   * Prometheus file-based service discovery: a directory in which each process writes its own
   * `<job>@<host>@<pid>.json` (scrape it with `files: ["<dir>/*.json"]`), removed on shutdown.
   */
  GAVEL_PROM_SD_DIR: z.string().min(1).optional(),
  /** Replaced by GAVEL_PROM_SD_DIR (one file per process, no lock): refused with the fix. */
  GAVEL_PROM_SD_FILE: z
    .undefined({ error: 'replaced by GAVEL_PROM_SD_DIR (a directory, one file_sd JSON per process); set that instead' })
    .optional(),
  /** Where local state lives (Redis data dir, reports). @default .gavel */
  GAVEL_DATA_DIR: z.string().min(1).default('.gavel'),
  /** BullMQ job lock; a worker that dies loses its jobs to another after about this long. @default 30000 */
  GAVEL_LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often workers look for stalled jobs. @default 30000 */
  GAVEL_STALLED_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Times a job may stall (its worker died) before it fails for good. @default 3 */
  GAVEL_MAX_STALLED: z.coerce.number().int().min(0).default(3),
  /** Seconds a process waits for active jobs on SIGINT/SIGTERM before aborting them. @default 30 */
  GAVEL_SHUTDOWN_TIMEOUT_S: z.coerce.number().positive().default(30),
});
export type BaseConfig = z.infer<typeof BaseEnv>;

/** Refuses `GAVEL_REDIS_URL` beside `GAVEL_REDIS_CLUSTER` (which one was meant?), in one line. */
export function assertOneRedisTarget(env: NodeJS.ProcessEnv): void {
  if (env.GAVEL_REDIS_CLUSTER !== undefined && env.GAVEL_REDIS_URL !== undefined) {
    throw new ConfigError(
      'invalid configuration: GAVEL_REDIS_URL and GAVEL_REDIS_CLUSTER are both set; set GAVEL_REDIS_CLUSTER for a cluster, or GAVEL_REDIS_URL for one Redis',
    );
  }
}

export function loadBaseConfig(env: NodeJS.ProcessEnv): BaseConfig {
  assertOneRedisTarget(env);
  return parseEnv(BaseEnv, env);
}
