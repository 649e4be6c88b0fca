import {
  ArbiterStore,
  createArbiterClients,
  createArbiterCollectStage,
  createArbiterSubmitStage,
  loadArbiterConfig,
} from '@gavel/arbiter';
import { silentLogger } from '@gavel/core';
import {
  addStageJobs,
  createRedis,
  type RedisClient,
  RunStore,
  type StageWorker,
  stageQueue,
  startStageWorker,
} from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.ts';
import { API_KEY, ARBITER_MODEL, mixedOutcome, seedJudgedRun, until } from './arbiter-fixtures.ts';
import { textRubric } from './judge-fixtures.ts';

let cluster: RedisCluster;
let client: RedisClient;
let workerConnection: RedisClient;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  const nodes = cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  client = createRedis({ kind: 'cluster', nodes }, { role: 'client' });
  workerConnection = createRedis({ kind: 'cluster', nodes }, { role: 'worker' });
}, 120_000);

afterAll(async () => {
  client?.disconnect();
  workerConnection?.disconnect();
  await cluster?.stop();
});

describe('the arbiter stages on a three-master Redis Cluster', () => {
  it('commits, re-submits and collects batches with every script on one slot; each routed sample gets one arbiter verdict', async () => {
    const fake = await startFakeAnthropicBatches({ apiKey: API_KEY, processingMs: 300, outcome: mixedOutcome });
    const workers: StageWorker[] = [];
    try {
      const runId = 'run-arb-cluster';
      const rubric = await textRubric();
      const store = new RunStore(client);
      const { routed } = await seedJudgedRun(store, rubric, runId, 30, 3);
      const config = loadArbiterConfig({
        GAVEL_ARBITER: 'anthropic-batch',
        GAVEL_ARBITER_MODEL: ARBITER_MODEL,
        GAVEL_ARBITER_API_KEY: API_KEY,
        GAVEL_ARBITER_URL: fake.url,
        GAVEL_ARBITER_POLL_S: '0.2',
        GAVEL_ARBITER_BATCH_WINDOW_S: '30',
        GAVEL_ARBITER_MAX_RESUBMITS: '2',
      });
      const queue = { connection: client, prefix: 'gavel' };
      const submitQueue = stageQueue('arbiter-submit', queue);
      const collectQueue = stageQueue('arbiter-collect', queue);
      const deps = {
        config,
        ...createArbiterClients(config),
        rubrics: createRubricCache((key) => store.getRubricText(key)),
        submitQueue,
        collectQueue,
        lockTtlMs: 5_000,
      };
      for (const [stage, processor] of [
        ['arbiter-submit', createArbiterSubmitStage(deps)],
        ['arbiter-collect', createArbiterCollectStage(deps)],
      ] as const) {
        workers.push(
          startStageWorker({
            stage,
            queue: { ...queue, connection: workerConnection },
            store,
            concurrency: 16,
            processor,
            logger: silentLogger,
          }),
        );
      }
      await addStageJobs(
        submitQueue,
        routed.map((sampleId) => ({ runId, sampleId })),
      );
      await until(async () => (await store.progress(runId)).ended === 30, 'every judged sample to end', 120_000);
      expect(await store.progress(runId)).toMatchObject({
        total: 30,
        verdicts: 30,
        failed: 0,
        routed: 10,
        arbitrated: 10,
      });
      const batches = [...fake.batches.values()];
      expect(batches.length).toBeGreaterThanOrEqual(2);
      const customIds = batches.flatMap((b) => b.requests.map((r) => r.custom_id));
      expect(new Set(customIds).size).toBe(customIds.length);
      const arb = new ArbiterStore(store);
      for (const sampleId of routed) {
        expect(await store.getFinalVerdict(runId, sampleId)).toMatchObject({ source: 'arbiter', arbitration: 'done' });
      }
      // Every batch the run committed is in the global claimed set (its own slot).
      for (const batchId of await arb.runBatches(runId)) expect(await arb.isClaimed(batchId)).toBe(true);
      await Promise.all([submitQueue.close(), collectQueue.close()]);
    } finally {
      await Promise.all(workers.map((w) => w.close(5_000)));
      await fake.stop();
    }
  }, 180_000);
});
