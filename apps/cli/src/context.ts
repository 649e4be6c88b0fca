import { type BaseConfig, loadBaseConfig, STAGES, type Stage } from '@gavel/core';
import {
  closeRedis,
  createRedis,
  describeRedisTarget,
  type RedisClient,
  RunStore,
  redisTarget,
  redisTargetVariable,
  type StageQueue,
  stageQueue,
} from '@gavel/queue';
import { watchRedis } from './redis-reach.ts';

/** What CLI commands share: configuration, one Redis client, the run store and the stage queues. */
export interface CliContext {
  config: BaseConfig;
  redis: RedisClient;
  store: RunStore;
  queues: Record<Stage, StageQueue>;
  close(): Promise<void>;
}

export function openContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const config = loadBaseConfig(env);
  const target = redisTarget(config);
  const redis = createRedis(target, { role: 'client', connectionName: 'gavel-cli' });
  const store = new RunStore(redis, config.GAVEL_STORE_PREFIX);
  const context = { connection: redis, prefix: config.GAVEL_QUEUE_PREFIX, attempts: config.GAVEL_ATTEMPTS };
  const queues = Object.fromEntries(STAGES.map((s) => [s, stageQueue(s, context)])) as Record<Stage, StageQueue>;
  watchRedis({ description: describeRedisTarget(target), variable: redisTargetVariable(target) }, [
    redis,
    ...Object.values(queues),
  ]);
  let closed: Promise<void> | undefined;
  return {
    config,
    redis,
    store,
    queues,
    close() {
      closed ??= (async () => {
        await Promise.allSettled(Object.values(queues).map((q) => q.close()));
        await closeRedis(redis);
      })();
      return closed;
    },
  };
}
