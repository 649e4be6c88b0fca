import { runKey, type Sample, type SampleJob } from '@gavel/core';
import { createRedis, enqueueRun, RunStore, stageQueue } from '@gavel/queue';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { factsRunManifest, textCase, textRubric } from './judge-fixtures.ts';

let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

const samples = (n: number): Sample[] => Array.from({ length: n }, (_, i) => textCase(i, true).sample);

/**
 * The sandbox queue, watched: before each chunk's jobs are added it notes which of their samples the
 * run store does not hold yet; `failOn` makes that add (1-based) fail as a refused write would.
 */
function watchedQueue(prefix: string, runId: string, failOn?: number, chunkSize = 2, total = 7) {
  const queue = stageQueue('sandbox', { connection: client, prefix: `{${prefix}}` });
  const unstoredAtAdd: string[] = [];
  const adds: string[][] = [];
  // Per add but the last: whether the next chunk's first sample was stored while this add waited.
  const nextStoredDuringAdd: boolean[] = [];
  const addBulk = queue.addBulk.bind(queue);
  queue.addBulk = (async (jobs: Parameters<Queue<SampleJob>['addBulk']>[0]) => {
    const ids = jobs.map((j) => j.data.sampleId);
    adds.push(ids);
    for (const id of ids) {
      if ((await client.hexists(runKey(prefix, runId, 'samples'), id)) === 0) unstoredAtAdd.push(id);
    }
    const next = `s-${adds.length * chunkSize}`;
    if (adds.length * chunkSize < total) {
      // The producer stores the next chunk while this add is in flight: wait (at most 5 s) to see it.
      const stored = async () => (await client.hexists(runKey(prefix, runId, 'samples'), next)) === 1;
      const until = Date.now() + 5_000;
      while (!(await stored()) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      nextStoredDuringAdd.push(await stored());
    }
    if (adds.length === failOn) throw new Error('OOM command not allowed when used memory > maxmemory');
    return addBulk(jobs);
  }) as Queue<SampleJob>['addBulk'];
  return { queue, adds, unstoredAtAdd, nextStoredDuringAdd };
}

describe('gavel enqueue stores one chunk while it adds the jobs of the one before', () => {
  it('adds every job once, in dataset order, each after its sample is stored', async () => {
    const rubric = await textRubric();
    const store = new RunStore(client, 'chunks1');
    const { queue, adds, unstoredAtAdd, nextStoredDuringAdd } = watchedQueue('chunks1', 'run-order');
    const progress: number[] = [];
    const result = await enqueueRun({
      store,
      sandbox: queue,
      manifest: factsRunManifest('run-order', rubric, 7),
      samples: samples(7),
      rubrics: [rubric],
      chunkSize: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(result.added).toBe(7);
    expect(adds).toEqual([['s-0', 's-1'], ['s-2', 's-3'], ['s-4', 's-5'], ['s-6']]);
    expect(unstoredAtAdd).toEqual([]);
    expect(nextStoredDuringAdd).toEqual([true, true, true]);
    expect(progress).toEqual([2, 4, 6, 7]);
    const waiting = (await queue.getWaiting(0, -1)) as Job<SampleJob>[];
    expect(waiting.map((j) => j.data.sampleId).sort()).toEqual(
      samples(7)
        .map((s) => s.id)
        .sort(),
    );
    await queue.close();
  });

  it('a refused add fails the enqueue and adds no later chunk; enqueuing again adds what is missing, nothing twice', async () => {
    const rubric = await textRubric();
    const store = new RunStore(client, 'chunks2');
    const manifest = factsRunManifest('run-refused', rubric, 7);
    const failing = watchedQueue('chunks2', 'run-refused', 2);
    await expect(
      enqueueRun({ store, sandbox: failing.queue, manifest, samples: samples(7), rubrics: [rubric], chunkSize: 2 }),
    ).rejects.toThrow(/OOM command not allowed/);
    // The second chunk's add failed; the third chunk may have been stored meanwhile, never added.
    expect(failing.adds).toEqual([
      ['s-0', 's-1'],
      ['s-2', 's-3'],
    ]);
    expect(await failing.queue.getJobCounts('waiting')).toEqual({ waiting: 2 });
    // The third chunk was stored while the second's add was in flight; the fourth never was.
    expect(await store.sampleIds('run-refused')).toEqual(['s-0', 's-1', 's-2', 's-3', 's-4', 's-5']);
    await failing.queue.close();

    const again = watchedQueue('chunks2', 'run-refused', undefined, 1000);
    const result = await enqueueRun({ store, sandbox: again.queue, manifest, samples: samples(7), rubrics: [rubric] });
    // Every sample without facts is handed to the sandbox again; a job whose id is held is not added twice.
    expect(result.added).toBe(7);
    expect(again.adds).toEqual([samples(7).map((s) => s.id)]);
    expect(await again.queue.getJobCounts('waiting')).toEqual({ waiting: 7 });
    await again.queue.close();
  });
});
