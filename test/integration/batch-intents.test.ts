import { type SubmitIntent, silentLogger } from '@gavel/core';
import { BatchStore, customIdFor, intentKeyFor, type ListedBatch, RunStore, recoverIntents } from '@gavel/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../support/redis.ts';

// The shared intent recovery (packages/queue/src/batch) against a real Redis, with a provider's
// batch list given by hand: adoption by intent metadata (OpenAI) at once, by custom_ids once ended
// (Anthropic), holding while a create may still be answered, dropping an intent that never
// reached the API.

let redis: RedisServer;
let client: Redis;
let batches: BatchStore;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  batches = new BatchStore(new RunStore(client), 'test');
});

afterAll(async () => {
  client.disconnect();
  await redis?.stop();
});

const TIMEOUT_MS = 10_000;

/** Two pending samples of `runId` and an open intent for them, written `ageMs` ago. */
async function openIntent(runId: string, ageMs: number): Promise<SubmitIntent> {
  const ids = ['a', 'b'];
  const customIds = ids.map((id) => customIdFor(runId, id, 0));
  for (const [i, id] of ids.entries()) await batches.enterPending(runId, id, customIds[i] as string, Date.now());
  const intent: SubmitIntent = {
    key: intentKeyFor(runId, customIds),
    run_id: runId,
    sample_ids: ids,
    custom_ids: customIds,
    attempts: [0, 0],
    at: Date.now() - ageMs,
    batch_id: null,
    owner: 'owner',
  };
  await batches.writeIntent(intent);
  return intent;
}

function recover(runId: string, listed: ListedBatch[], results: Record<string, string[]> = {}) {
  const adopted: string[] = [];
  return {
    adopted,
    run: () =>
      recoverIntents({
        batches,
        runId,
        model: 'm',
        api: {
          async *list() {
            yield* [...listed].sort((x, y) => y.createdAt - x.createdAt);
          },
          async *resultIds(batchId) {
            yield* results[batchId] ?? [];
          },
        },
        timeoutMs: TIMEOUT_MS,
        signal: new AbortController().signal,
        log: silentLogger,
        onAdopted: async (_intent, record) => {
          adopted.push(record.batch_id);
        },
      }),
  };
}

describe('intent recovery', () => {
  it('adopts the batch carrying the intent key at once, even still processing; another key is never taken', async () => {
    const intent = await openIntent('r1', 1_000);
    const r = recover('r1', [
      { id: 'other', createdAt: intent.at + 10, ended: true, total: 2, intentKey: 'someone-else' },
      { id: 'mine', createdAt: intent.at + 20, ended: false, total: 0, intentKey: intent.key },
    ]);
    expect(await r.run()).toEqual(new Set());
    expect(r.adopted).toEqual(['mine']);
    expect(await batches.runBatches('r1')).toEqual(['mine']);
    expect((await batches.getState('r1', 'a'))?.status).toBe('submitted');
    expect(await batches.openIntents('r1')).toEqual([]);
    expect(await batches.isClaimed('mine')).toBe(true);
  });

  it('holds the samples of a young intent with no batch yet, and drops it once its create deadline passed', async () => {
    await openIntent('r2', 1_000);
    const young = recover('r2', []);
    expect(await young.run()).toEqual(new Set(['a', 'b']));
    expect(await batches.openIntents('r2')).toHaveLength(1);

    await openIntent('r3', TIMEOUT_MS + 120_000);
    const old = recover('r3', []);
    expect(await old.run()).toEqual(new Set());
    expect(await batches.openIntents('r3')).toEqual([]);
    // Dropped, not failed: the samples wait for the next batch.
    expect((await batches.getState('r3', 'a'))?.status).toBe('pending');
    expect((await batches.pending('r3', 10)).map((p) => p.sampleId).sort()).toEqual(['a', 'b']);
  });

  it('without metadata, waits for a same-size batch to end, then adopts it only if its custom_ids are exactly the intent', async () => {
    const intent = await openIntent('r4', TIMEOUT_MS + 120_000);
    const processing = recover('r4', [{ id: 'b1', createdAt: intent.at + 5, ended: false, total: 2 }]);
    expect(await processing.run()).toEqual(new Set(['a', 'b']));
    expect(processing.adopted).toEqual([]);

    const foreign = recover('r4', [{ id: 'b1', createdAt: intent.at + 5, ended: true, total: 2 }], {
      b1: [intent.custom_ids[0] as string, 'not-ours'],
    });
    expect(await foreign.run()).toEqual(new Set());
    expect(foreign.adopted).toEqual([]);
    expect(await batches.openIntents('r4')).toEqual([]);

    const again = await openIntent('r5', 1_000);
    const exact = recover('r5', [{ id: 'b2', createdAt: again.at + 5, ended: true, total: 2 }], {
      b2: [...again.custom_ids].reverse(),
    });
    expect(await exact.run()).toEqual(new Set());
    expect(exact.adopted).toEqual(['b2']);
  });
});
