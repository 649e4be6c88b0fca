import type { Logger, Stage } from '@gavel/core';
import type { RunStore, StageQueue } from '@gavel/queue';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ApiSecurity } from './api-config.ts';
import type { SubmissionDeps } from './run-submission.ts';

/** The parts the API's routes use: the same run store, queues and producer as the CLI. */
export interface ApiDeps {
  redis: Redis | Cluster;
  store: RunStore;
  queues: Record<Stage, StageQueue>;
  submission: SubmissionDeps;
  security: ApiSecurity;
  registry: Registry;
  logger: Logger;
  /** How long a request waits for one Redis command before it answers 503 (`GAVEL_API_REDIS_TIMEOUT_S`). */
  redisTimeoutS: number;
  /** How often the events stream reads a run's progress. @default 500 */
  eventsIntervalMs?: number;
}
