import {
  type ArbiterDeps,
  createArbiterClients,
  createArbiterCollectStage,
  createArbiterSubmitStage,
  loadArbiterConfig,
} from '@gavel/arbiter';
import { type ConfigError, silentLogger } from '@gavel/core';
import { RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import type { Redis } from 'ioredis';
import {
  type FakeBatchesOptions,
  type FakeBatchesServer,
  startFakeAnthropicBatches,
} from '../fakes/anthropic-batches-server.ts';
import { API_KEY, ARBITER_MODEL, seedJudgedRun } from './arbiter-fixtures.ts';
import { textRubric } from './judge-fixtures.ts';

/** Both arbiter stages as in-process BullMQ workers on a real Redis, against the Batches fake. */
export interface ArbiterRig {
  fake: FakeBatchesServer;
  store: RunStore;
  routed: string[];
  deps: ArbiterDeps;
  submitQueue: ArbiterDeps['submitQueue'];
  collectQueue: ArbiterDeps['collectQueue'];
  /** Config errors the workers reported (each stops its worker, the job returned). */
  configErrors: ConfigError[];
  /** Starts one more pair of workers (another host flushing the same run). */
  startWorkers(): void;
  /** Lets every worker finish what it is doing (a flush in flight included) and stop. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export async function startArbiterRig(
  connections: { client: Redis; worker: Redis },
  prefix: string,
  runId: string,
  options: {
    fake?: Partial<FakeBatchesOptions>;
    env?: NodeJS.ProcessEnv;
    samples?: number;
    routeEvery?: number;
    lockTtlMs?: number;
    pinnedModel?: string;
    /** Environment of the collect workers on top of `env` (a collect worker configured otherwise). */
    collectEnv?: NodeJS.ProcessEnv;
  } = {},
): Promise<ArbiterRig> {
  const fake = await startFakeAnthropicBatches({ apiKey: API_KEY, processingMs: 300, ...options.fake });
  const rubric = await textRubric();
  const store = new RunStore(connections.client, prefix);
  const { routed } = await seedJudgedRun(store, rubric, runId, options.samples ?? 12, options.routeEvery ?? 2, {
    mode: 'anthropic-batch',
    model: options.pinnedModel ?? ARBITER_MODEL,
    family: 'claude',
  });
  const env = {
    GAVEL_ARBITER: 'anthropic-batch',
    GAVEL_ARBITER_MODEL: ARBITER_MODEL,
    GAVEL_ARBITER_API_KEY: API_KEY,
    GAVEL_ARBITER_URL: fake.url,
    GAVEL_ARBITER_POLL_S: '0.2',
    GAVEL_ARBITER_BATCH_WINDOW_S: '30',
    ...options.env,
  };
  const config = loadArbiterConfig(env);
  const queue = { connection: connections.client, prefix: `{${prefix}}` };
  const submitQueue = stageQueue('arbiter-submit', queue);
  const collectQueue = stageQueue('arbiter-collect', queue);
  const deps: ArbiterDeps = {
    config,
    ...createArbiterClients(config),
    rubrics: createRubricCache((key) => store.getRubricText(key)),
    submitQueue,
    collectQueue,
    lockTtlMs: options.lockTtlMs ?? 5_000,
  };
  const collectConfig = options.collectEnv ? loadArbiterConfig({ ...env, ...options.collectEnv }) : config;
  const { anthropic: _a, openai: _o, ...shared } = deps;
  const collectDeps: ArbiterDeps = { ...shared, config: collectConfig, ...createArbiterClients(collectConfig) };
  const workers: StageWorker[] = [];
  const configErrors: ConfigError[] = [];
  const startWorkers = () => {
    for (const [stage, processor] of [
      ['arbiter-submit', createArbiterSubmitStage(deps)],
      ['arbiter-collect', createArbiterCollectStage(collectDeps)],
    ] as const) {
      workers.push(
        startStageWorker({
          stage,
          queue: { ...queue, connection: connections.worker },
          store,
          concurrency: 8,
          processor,
          logger: silentLogger,
          onConfigError: (e) => configErrors.push(e),
        }),
      );
    }
  };
  startWorkers();
  return {
    fake,
    store,
    routed,
    deps,
    submitQueue,
    collectQueue,
    configErrors,
    startWorkers,
    async stopWorkers() {
      await Promise.all(workers.splice(0).map((w) => w.close(10_000)));
    },
    async close() {
      await Promise.all(workers.splice(0).map((w) => w.close(5_000)));
      await Promise.all([submitQueue.close(), collectQueue.close()]);
      await fake.stop();
    },
  };
}
