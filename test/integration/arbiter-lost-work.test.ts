import Anthropic from '@anthropic-ai/sdk';
import { ArbiterStore, costReport, customIdFor, intentKeyFor } from '@gavel/arbiter';
import { addStageJobs, createRedis } from '@gavel/queue';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeBatchesServer } from '../fakes/anthropic-batches-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { API_KEY, until } from './arbiter-fixtures.ts';
import { type ArbiterRig, startArbiterRig } from './arbiter-harness.ts';

let redis: RedisServer;
let client: Redis;
let worker: Redis;
let rig: ArbiterRig | undefined;

beforeAll(async () => {
  redis = await startRedis();
  client = createRedis(redis.url, { role: 'client' });
  worker = createRedis(redis.url, { role: 'worker' });
});
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});
afterAll(async () => {
  client.disconnect();
  worker.disconnect();
  await redis.stop();
});

/** Batches not cancelled by gavel: each custom_id may be in one of them at most. */
function liveCustomIds(fake: FakeBatchesServer): string[] {
  return [...fake.batches.values()]
    .filter((b) => b.canceledAt === null)
    .flatMap((b) => b.requests.map((r) => r.custom_id));
}

async function allEnded(r: ArbiterRig, runId: string, samples: number) {
  await until(async () => (await r.store.progress(runId)).ended === samples, 'every sample to end', 45_000);
}

describe('the arbiter loses no sample and pays for no request twice', () => {
  it('re-adds the submit job of a re-submitted sample when the results download breaks before the re-submissions are queued', async () => {
    const runId = 'run-lost-resubmit';
    // Line 1 of the first batch errors (re-submitted; the only one), and the first download is cut
    // after 3 lines: the collect job dies between marking the sample pending and queueing its next attempt.
    rig = await startArbiterRig({ client, worker }, 'lost-resub', runId, {
      fake: { outcome: (r) => (r.index === 1 && r.seen === 0 ? 'errored' : 'succeeded'), cutResultsAfter: 3 },
    });
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await allEnded(rig, runId, 12);
    expect(await rig.store.progress(runId)).toMatchObject({ verdicts: 12, failed: 0, arbitrated: 6 });
    const first = [...rig.fake.batches.values()][0];
    expect(first?.results?.map((r) => r.result.type).filter((t) => t === 'errored')).toHaveLength(1);
    expect(first?.results?.[1]?.result.type).toBe('errored');
    // The cut download was read again in full; the re-submitted samples went out in a later batch.
    expect(rig.fake.resultReads.get(first?.id ?? '')).toBe(2);
    expect(rig.fake.counts.creates).toBeGreaterThanOrEqual(2);
  });

  it('sends a sample left pending but outside the pending set (a crash between the two writes) instead of waiting for ever', async () => {
    const runId = 'run-lost-pending';
    rig = await startArbiterRig({ client, worker }, 'lost-pending', runId, {
      env: { GAVEL_ARBITER_BATCH_WINDOW_S: '1' },
    });
    await rig.stopWorkers();
    // What a crash between the state write and the pending-set write leaves (enterPending's first
    // round trip, or a re-submission's transition): the sample pending, in no pending set.
    const arb = new ArbiterStore(rig.store);
    const [stranded] = rig.routed;
    if (!stranded) throw new Error('no routed sample');
    const state = { attempt: 0, custom_id: customIdFor(runId, stranded, 0), status: 'pending', batch_id: null };
    await client.hset(arb.runKey(runId, 'state'), stranded, JSON.stringify(state));
    await client.hset(arb.runKey(runId, 'cid'), state.custom_id, JSON.stringify({ sample_id: stranded, attempt: 0 }));
    expect(await arb.pending(runId, 100)).toEqual([]);
    rig.startWorkers();
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await allEnded(rig, runId, 12);
    expect(await rig.store.progress(runId)).toMatchObject({ verdicts: 12, failed: 0, arbitrated: 6 });
    const sent = liveCustomIds(rig.fake);
    expect(sent).toContain(state.custom_id);
    expect(new Set(sent).size).toBe(sent.length);
  });

  it('keeps the flush lock through an upload longer than the lock, so a second flusher sends nothing twice', async () => {
    const runId = 'run-lost-slowflush';
    // The upload takes 1.5 s, five times the lock's 300 ms TTL; a second pair of workers flushes the same run.
    rig = await startArbiterRig({ client, worker }, 'lost-slow', runId, {
      fake: { uploadDelayMs: 1_500 },
      lockTtlMs: 300,
    });
    rig.startWorkers();
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await allEnded(rig, runId, 12);
    // Every flush still in flight (the second flusher's) finishes before the batches are counted.
    await rig.stopWorkers();
    const live = liveCustomIds(rig.fake);
    expect(new Set(live).size).toBe(live.length);
    expect(rig.fake.counts.creates).toBe(1);
    const report = await costReport(rig.store, runId);
    expect(report.total.requests).toBe(rig.routed.length);
    expect(report.batches.map((b) => b.batch_id)).toEqual([...rig.fake.batches.keys()]);
  });

  it('cancels a batch created for an intent another flusher took over, and books every result and cost once', async () => {
    const runId = 'run-lost-takeover';
    const prefix = 'lost-takeover';
    let tookOver = false;
    rig = await startArbiterRig({ client, worker }, prefix, runId, {
      fake: {
        // The create answers late; meanwhile this flusher's lock is gone (as when its process stalls
        // past the TTL) and its intent is dropped, so the second flusher sends the samples itself.
        createDelayMs: 1_500,
        processingMs: 3_000,
        onCreate: () => {
          if (tookOver) return;
          tookOver = true;
          void (async () => {
            const arb = new ArbiterStore(rig?.store as ArbiterRig['store']);
            for (const intent of await arb.openIntents(runId)) await arb.dropIntent(runId, intent.key);
            await client.del(arb.runKey(runId, 'flush-lock'));
          })();
        },
      },
    });
    rig.startWorkers();
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await allEnded(rig, runId, 12);
    const [late, second] = [...rig.fake.batches.values()];
    expect(rig.fake.batches.size).toBe(2);
    // The late batch holds the same custom_ids as the second: it was cancelled, the second recorded.
    expect(new Set(late?.requests.map((r) => r.custom_id))).toEqual(new Set(second?.requests.map((r) => r.custom_id)));
    expect(late?.canceledAt).not.toBeNull();
    const live = liveCustomIds(rig.fake);
    expect(new Set(live).size).toBe(live.length);
    for (const sampleId of rig.routed) {
      expect((await rig.store.getFinalVerdict(runId, sampleId))?.arbiter?.batch_id).toBe(second?.id);
    }
    await until(
      async () => (await new ArbiterStore(rig?.store as ArbiterRig['store']).duplicates(runId)).length === 0,
      'the cancelled duplicate to be drained for cost',
      20_000,
    );
    const report = await costReport(rig.store, runId);
    const paidInLate = (late?.results ?? []).filter((r) => r.result.type === 'succeeded').length;
    expect(report.total.requests).toBe(rig.routed.length + paidInLate);
    // Every usage the API returned (priming and batch results) was booked once.
    expect(report.total.output_tokens).toBe(rig.fake.usages.reduce((s, u) => s + u.usage.output_tokens, 0));
    expect(report.total.cache_read_tokens).toBe(
      rig.fake.usages.reduce((s, u) => s + u.usage.cache_read_input_tokens, 0),
    );
  });

  it("adopts no batch of someone else's that matches an open intent's size and time, and sends the samples itself", async () => {
    const runId = 'run-lost-foreign';
    rig = await startArbiterRig({ client, worker }, 'lost-foreign', runId, {
      // A create call's deadline of 5 s: an intent older than that (and the clock skew) cannot land any more.
      env: { GAVEL_ARBITER_TIMEOUT_S: '5' },
    });
    const arb = new ArbiterStore(rig.store);
    const customIds = rig.routed.map((id) => customIdFor(runId, id, 0));
    // A submit that died before its create call reached the API, a minute ago…
    await arb.writeIntent({
      key: intentKeyFor(runId, customIds),
      run_id: runId,
      sample_ids: rig.routed,
      custom_ids: customIds,
      attempts: rig.routed.map(() => 0),
      at: Date.now() - 61_000,
      batch_id: null,
    });
    // …and another client on the same key created a batch of the same size since.
    const other = new Anthropic({ apiKey: API_KEY, baseURL: rig.fake.url });
    const foreign = await other.messages.batches.create({
      requests: rig.routed.map((_, i) => ({
        custom_id: `someone-else-${i}`,
        params: { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] },
      })),
    });
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await allEnded(rig, runId, 12);
    expect(await rig.store.progress(runId)).toMatchObject({ verdicts: 12, failed: 0 });
    expect(await arb.runBatches(runId)).not.toContain(foreign.id);
    expect(await arb.openIntents(runId)).toEqual([]);
    for (const sampleId of rig.routed) {
      expect((await rig.store.getFinalVerdict(runId, sampleId))?.arbiter?.batch_id).not.toBe(foreign.id);
    }
  });
});
