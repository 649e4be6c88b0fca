import { ArbiterStore } from '@gavel/arbiter';
import { addStageJobs, createRedis } from '@gavel/queue';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gavel } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { until } from './arbiter-fixtures.ts';
import { type ArbiterRig, startArbiterRig } from './arbiter-harness.ts';

// `gavel runs rm` on runs the Batches arbiter graded: the run's batch records, poll and collect
// markers and its entries in the global claimed set go with it (a cancelled duplicate batch's
// too); another run's stay (issue 13, item 16).

const PREFIX = 'rm-arb';
let redis: RedisServer;
let client: Redis;
let worker: Redis;
const rigs: ArbiterRig[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = createRedis(redis.url, { role: 'client' });
  worker = createRedis(redis.url, { role: 'worker' });
});
afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  client.disconnect();
  worker.disconnect();
  await redis.stop();
});

async function arbitrated(runId: string): Promise<ArbiterRig> {
  const rig = await startArbiterRig({ client, worker }, PREFIX, runId, { samples: 6 });
  rigs.push(rig);
  await addStageJobs(
    rig.submitQueue,
    rig.routed.map((sampleId) => ({ runId, sampleId })),
  );
  await until(async () => (await rig.store.progress(runId)).ended === 6, `${runId} to end`, 30_000);
  await rig.stopWorkers();
  return rig;
}

async function keysNaming(text: string): Promise<string[]> {
  return (await client.keys('*')).filter((k) => k.includes(text));
}

describe('gavel runs rm on arbitrated runs', () => {
  it('removes the run batch records and claimed entries (a duplicate batch included) and keeps the other run', async () => {
    const gone = await arbitrated('run-arb-gone');
    const kept = await arbitrated('run-arb-kept');
    const arb = new ArbiterStore(gone.store);
    const goneBatches = await arb.runBatches('run-arb-gone');
    const keptBatches = await arb.runBatches('run-arb-kept');
    expect(goneBatches.length).toBeGreaterThan(0);
    expect(keptBatches.length).toBeGreaterThan(0);
    // A batch created for an intent another flusher took over, cancelled, recorded as the run's duplicate.
    await arb.recordDuplicate('run-arb-gone', 'msgbatch_duplicate_of_gone', Date.now());
    for (const id of [...goneBatches, ...keptBatches]) expect(await keysNaming(id)).not.toEqual([]);

    const env = { GAVEL_REDIS_URL: redis.url, GAVEL_STORE_PREFIX: PREFIX, GAVEL_QUEUE_PREFIX: `{${PREFIX}}` };
    const removed = await gavel(['runs', 'rm', 'run-arb-gone', '--json'], env);
    expect(removed.code, removed.stderr).toBe(0);

    expect(await keysNaming('run-arb-gone')).toEqual([]);
    for (const id of [...goneBatches, 'msgbatch_duplicate_of_gone']) {
      expect(await keysNaming(id)).toEqual([]);
      expect(await client.sismember(arb.claimedKey, id)).toBe(0);
    }
    for (const id of keptBatches) {
      expect(await client.sismember(arb.claimedKey, id)).toBe(1);
      expect(await arb.getBatch('run-arb-kept', id)).toMatchObject({ batch_id: id });
    }
    expect((await kept.store.progress('run-arb-kept')).ended).toBe(6);
  });
});
