import { randomUUID } from 'node:crypto';
import { batchBatchKey, batchClaimedKey, batchRunKey } from '@gavel/core';
import type { RunStore } from '../run-store.ts';
import { BatchRecord, BatchSampleState, SubmitIntent } from './batch-records.ts';
import { COMMIT_IF_OPEN, ENSURE_PENDING, RELEASE_LOCK, RENEW_LOCK, SET_STATE_IF } from './batch-scripts.ts';

type BatchRedis = RunStore['redis'] & {
  gavelBatchSetStateIf(
    key: string,
    id: string,
    attempt: string,
    status: string,
    batch: string,
    json: string,
  ): Promise<number>;
  gavelBatchRelease(key: string, token: string): Promise<number>;
  gavelBatchRenew(key: string, token: string, ttlMs: number): Promise<number>;
  gavelBatchCommitIfOpen(...keysAndArgs: (string | number)[]): Promise<number>;
  gavelBatchEnsurePending(
    state: string,
    pending: string,
    entered: string,
    id: string,
    customId: string,
    now: number,
  ): Promise<number>;
};

/**
 * The records of one user of the batch machinery (namespace `ns`: `arb` the arbiter, `genb` the
 * generate stage's batch mode) in the run store's Redis. Per run (`<prefix>:{run:<runId>}:<ns>:…`,
 * the run's hash tag, so each script and MULTI here touches one cluster slot):
 * `state` (hash sample → {@link BatchSampleState}), `entered` (set of samples that reached
 * the submit stage), `pending` (zset sample → ms it started
 * waiting), `cid` (hash custom_id → sample/attempt), `intent:<key>` + `intents` (open submit
 * intents), `batches` (zset batch id → created ms), `ledger` (hash custom_id or overhead key → a cost
 * record, HSETNX), `batch-records` (hash batch id → {@link BatchRecord}), `duplicates`
 * (zset of batches created for an intent that was no longer open: cancelled, drained for cost).
 * Per batch, under its run's tag (`<prefix>:{run:<runId>}:<ns>:batch:<id>:…`): its `polls`,
 * `collected` and lock keys. `<prefix>:<ns>:claimed` (global, its own slot, written alone) holds
 * batch ids already committed (recovery never adopts one twice).
 */
export class BatchStore {
  readonly redis: BatchRedis;
  constructor(
    readonly store: RunStore,
    readonly ns: string,
  ) {
    const r = store.redis as BatchRedis;
    if (typeof r.gavelBatchSetStateIf !== 'function') {
      r.defineCommand('gavelBatchSetStateIf', { numberOfKeys: 1, lua: SET_STATE_IF });
      r.defineCommand('gavelBatchRelease', { numberOfKeys: 1, lua: RELEASE_LOCK });
      r.defineCommand('gavelBatchRenew', { numberOfKeys: 1, lua: RENEW_LOCK });
      r.defineCommand('gavelBatchCommitIfOpen', { numberOfKeys: 6, lua: COMMIT_IF_OPEN });
      r.defineCommand('gavelBatchEnsurePending', { numberOfKeys: 3, lua: ENSURE_PENDING });
    }
    this.redis = r;
  }

  runKey(runId: string, part: string): string {
    return batchRunKey(this.store.prefix, this.ns, runId, part);
  }

  /** A key of one of the run's batches (see {@link batchBatchKey}). */
  batchKey(runId: string, batchId: string, part = ''): string {
    return batchBatchKey(this.store.prefix, this.ns, runId, batchId, part);
  }

  get claimedKey(): string {
    return batchClaimedKey(this.store.prefix, this.ns);
  }

  // ── sample state ────────────────────────────────────────────────────────────
  async getState(runId: string, sampleId: string): Promise<BatchSampleState | undefined> {
    const raw = await this.redis.hget(this.runKey(runId, 'state'), sampleId);
    return raw === null ? undefined : BatchSampleState.parse(JSON.parse(raw));
  }

  /** Registers a routed sample as pending (first attempt) once; returns its state. */
  async enterPending(runId: string, sampleId: string, customId: string, now: number): Promise<BatchSampleState> {
    const state: BatchSampleState = { attempt: 0, custom_id: customId, status: 'pending', batch_id: null };
    const results = await this.redis
      .multi()
      .hsetnx(this.runKey(runId, 'state'), sampleId, JSON.stringify(state))
      .hsetnx(this.runKey(runId, 'cid'), customId, JSON.stringify({ sample_id: sampleId, attempt: 0 }))
      .exec();
    if (results?.[0]?.[1] === 1) await this.redis.zadd(this.runKey(runId, 'pending'), 'NX', now, sampleId);
    await this.redis.sadd(this.runKey(runId, 'entered'), sampleId);
    return (await this.getState(runId, sampleId)) ?? state;
  }

  /**
   * Makes sure a sample still pending as `state` is in the run's pending set (which is all a flush
   * reads): a crash between its state write and the set write left it out. True when it was out.
   */
  async ensurePending(runId: string, sampleId: string, state: BatchSampleState, now: number): Promise<boolean> {
    const added = await this.redis.gavelBatchEnsurePending(
      this.runKey(runId, 'state'),
      this.runKey(runId, 'pending'),
      this.runKey(runId, 'entered'),
      sampleId,
      state.custom_id,
      now,
    );
    return added === 1;
  }

  /** Moves a sample from `from` to `to` only if it is still exactly at `from`. */
  async transition(runId: string, sampleId: string, from: BatchSampleState, to: BatchSampleState): Promise<boolean> {
    const ok = await this.redis.gavelBatchSetStateIf(
      this.runKey(runId, 'state'),
      sampleId,
      String(from.attempt),
      from.status,
      from.batch_id ?? '',
      JSON.stringify(to),
    );
    return ok === 1;
  }

  /** Re-queues a sample for a new attempt (new custom_id) in a later batch. */
  async resubmit(
    runId: string,
    sampleId: string,
    from: BatchSampleState,
    customId: string,
    now: number,
  ): Promise<boolean> {
    const to: BatchSampleState = {
      attempt: from.attempt + 1,
      custom_id: customId,
      status: 'pending',
      batch_id: null,
    };
    await this.redis.hsetnx(
      this.runKey(runId, 'cid'),
      customId,
      JSON.stringify({ sample_id: sampleId, attempt: to.attempt }),
    );
    if (!(await this.transition(runId, sampleId, from, to))) return false;
    await this.redis.zadd(this.runKey(runId, 'pending'), 'NX', now, sampleId);
    return true;
  }

  /** The sample and attempt a custom_id was sent for (and, for one order of a pair, which side went first). */
  async lookupCustomId(
    runId: string,
    customId: string,
  ): Promise<{ sample_id: string; attempt: number; first?: 'a' | 'b' } | undefined> {
    const raw = await this.redis.hget(this.runKey(runId, 'cid'), customId);
    return raw === null ? undefined : (JSON.parse(raw) as { sample_id: string; attempt: number; first?: 'a' | 'b' });
  }

  async pending(runId: string, limit: number): Promise<{ sampleId: string; since: number }[]> {
    const flat = await this.redis.zrange(this.runKey(runId, 'pending'), 0, limit - 1, 'WITHSCORES');
    const out: { sampleId: string; since: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ sampleId: flat[i] as string, since: Number(flat[i + 1]) });
    return out;
  }

  /** Routed samples that reached the submit stage at least once. */
  async enteredCount(runId: string): Promise<number> {
    return this.redis.scard(this.runKey(runId, 'entered'));
  }

  async pendingCount(runId: string): Promise<number> {
    return this.redis.zcard(this.runKey(runId, 'pending'));
  }

  // ── locks ───────────────────────────────────────────────────────────────────
  /** A lock that a dead holder loses after `ttlMs`; returns the release function, or undefined. */
  async tryLock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return undefined;
    return async () => {
      await this.redis.gavelBatchRelease(key, token);
    };
  }

  // ── submit intents and batches ──────────────────────────────────────────────
  async openIntents(runId: string): Promise<SubmitIntent[]> {
    const keys = await this.redis.smembers(this.runKey(runId, 'intents'));
    const out: SubmitIntent[] = [];
    for (const key of keys) {
      const raw = await this.redis.get(this.runKey(runId, `intent:${key}`));
      if (raw === null) await this.redis.srem(this.runKey(runId, 'intents'), key);
      else out.push(SubmitIntent.parse(JSON.parse(raw)));
    }
    return out;
  }

  /** Records the intent to submit a request set (before the API call). */
  async writeIntent(intent: SubmitIntent): Promise<void> {
    await this.redis
      .multi()
      .set(this.runKey(intent.run_id, `intent:${intent.key}`), JSON.stringify(intent))
      .sadd(this.runKey(intent.run_id, 'intents'), intent.key)
      .exec();
  }

  /** Drops an intent that never reached the API (its samples stay pending). */
  async dropIntent(runId: string, key: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.runKey(runId, `intent:${key}`))
      .srem(this.runKey(runId, 'intents'), key)
      .exec();
  }

  async isClaimed(batchId: string): Promise<boolean> {
    return (await this.redis.sismember(this.claimedKey, batchId)) === 1;
  }

  /**
   * Persists a created batch in one script, only while its intent is open and every member is
   * still pending with the intent's custom_id: the record, each sample's state (submitted, with the
   * batch id), the pending set and the intent closed. False (nothing written) when the intent was
   * dropped or committed meanwhile, or a member moved on: the batch is then a duplicate.
   */
  async commitIfOpen(
    intent: SubmitIntent,
    batch: BatchRecord,
    states: Map<string, BatchSampleState>,
  ): Promise<boolean> {
    const runId = intent.run_id;
    const args: string[] = [
      intent.key,
      JSON.stringify({ ...intent, batch_id: batch.batch_id }),
      batch.batch_id,
      String(batch.created_at),
      JSON.stringify(batch),
      intent.owner ?? '',
    ];
    intent.sample_ids.forEach((sampleId, i) => {
      const state = states.get(sampleId);
      if (state) args.push(sampleId, intent.custom_ids[i] as string, JSON.stringify(state));
    });
    const ok = await this.redis.gavelBatchCommitIfOpen(
      this.runKey(runId, `intent:${intent.key}`),
      this.runKey(runId, 'intents'),
      this.runKey(runId, 'state'),
      this.runKey(runId, 'pending'),
      this.runKey(runId, 'batches'),
      this.runKey(runId, 'batch-records'),
      ...args,
    );
    if (ok !== 1) return false;
    // The global claimed set is another slot in a cluster: its own command, after the commit.
    await this.redis.sadd(this.claimedKey, batch.batch_id);
    return true;
  }

  async getBatch(runId: string, batchId: string): Promise<BatchRecord | undefined> {
    const raw = await this.redis.hget(this.runKey(runId, 'batch-records'), batchId);
    return raw === null ? undefined : BatchRecord.parse(JSON.parse(raw));
  }

  /** Records a batch created for an intent that was no longer open (it has been cancelled). */
  async recordDuplicate(runId: string, batchId: string, createdAt: number): Promise<void> {
    // Two slots in a cluster: the run's record first, then the global claim.
    await this.redis.zadd(this.runKey(runId, 'duplicates'), createdAt, batchId);
    await this.redis.sadd(this.claimedKey, batchId);
  }

  /** Cancelled duplicates whose results are not yet drained for cost. */
  async duplicates(runId: string): Promise<string[]> {
    return this.redis.zrange(this.runKey(runId, 'duplicates'), 0, -1);
  }

  async markDuplicateDrained(runId: string, batchId: string): Promise<void> {
    await this.redis.zrem(this.runKey(runId, 'duplicates'), batchId);
  }

  async runBatches(runId: string): Promise<string[]> {
    return this.redis.zrange(this.runKey(runId, 'batches'), 0, -1);
  }

  async isCollected(runId: string, batchId: string): Promise<boolean> {
    return (await this.redis.exists(this.batchKey(runId, batchId, 'collected'))) === 1;
  }

  async markCollected(runId: string, batchId: string): Promise<void> {
    await this.redis.set(this.batchKey(runId, batchId, 'collected'), new Date().toISOString());
  }

  async bumpPolls(runId: string, batchId: string): Promise<number> {
    return this.redis.incr(this.batchKey(runId, batchId, 'polls'));
  }

  async polls(runId: string, batchId: string): Promise<number> {
    return Number((await this.redis.get(this.batchKey(runId, batchId, 'polls'))) ?? 0);
  }

  // ── cost ledger ─────────────────────────────────────────────────────────────
  /** Books a cost record once under `key` (a custom_id, or an overhead key); true if it was new. */
  async bookRaw(runId: string, key: string, json: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.runKey(runId, 'ledger'), key, json)) === 1;
  }

  async ledgerRaw(runId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.runKey(runId, 'ledger'));
  }
}
