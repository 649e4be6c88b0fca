import { ARBITER_BATCH_NS } from '@gavel/core';
import { BatchStore, type RunStore } from '@gavel/queue';
import { StoredPairOrder } from './arbiter-records.ts';
import { RequestCost } from './cost-ledger.ts';

/**
 * The arbiter's records: the shared batch store under namespace `arb`
 * (`<prefix>:{run:<runId>}:arb:…`), with its cost ledger typed as {@link RequestCost}, and
 * `pair-orders` (hash [sample, attempt, first] → {@link StoredPairOrder}: a pair's answers per
 * order until both are in).
 */
export class ArbiterStore extends BatchStore {
  constructor(store: RunStore) {
    super(store, ARBITER_BATCH_NS);
  }

  /**
   * Maps one order's request of a pair to its sample, attempt and order, before the batch is created
   * (the A-first id already maps to its sample and attempt: this adds the order, the same content).
   */
  async mapOrderCustomId(runId: string, customId: string, sampleId: string, attempt: number, first: 'a' | 'b') {
    await this.redis.hset(this.runKey(runId, 'cid'), customId, JSON.stringify({ sample_id: sampleId, attempt, first }));
  }

  // ── a pair's two orders ─────────────────────────────────────────────────────
  /** Keeps one order's answer of a pair's attempt (the same order again overwrites: a re-read). */
  async putPairOrder(runId: string, sampleId: string, attempt: number, order: StoredPairOrder): Promise<void> {
    await this.redis.hset(
      this.runKey(runId, 'pair-orders'),
      JSON.stringify([sampleId, attempt, order.first]),
      JSON.stringify(order),
    );
  }

  /** The orders of a pair's attempt answered so far (A first, then B first; absent ones left out). */
  async pairOrders(runId: string, sampleId: string, attempt: number): Promise<StoredPairOrder[]> {
    const raw = await this.redis.hmget(
      this.runKey(runId, 'pair-orders'),
      JSON.stringify([sampleId, attempt, 'a']),
      JSON.stringify([sampleId, attempt, 'b']),
    );
    return raw.flatMap((r) => (r === null ? [] : [StoredPairOrder.parse(JSON.parse(r))]));
  }

  // ── cost ledger ─────────────────────────────────────────────────────────────
  /** Books a cost once under `key` (a custom_id, or an overhead key); true if it was new. */
  async bookCost(runId: string, key: string, cost: RequestCost): Promise<boolean> {
    return this.bookRaw(runId, key, JSON.stringify(RequestCost.parse(cost)));
  }

  async ledger(runId: string): Promise<Map<string, RequestCost>> {
    const raw = await this.ledgerRaw(runId);
    return new Map(Object.entries(raw).map(([k, v]) => [k, RequestCost.parse(JSON.parse(v))]));
  }
}
