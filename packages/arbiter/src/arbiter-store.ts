import { BatchStore, type RunStore } from '@gavel/queue';
import { RequestCost } from './cost-ledger.ts';

/**
 * The arbiter's records: the shared batch store under namespace `arb`
 * (`<prefix>:{run:<runId>}:arb:…`), with its cost ledger typed as {@link RequestCost}.
 */
export class ArbiterStore extends BatchStore {
  constructor(store: RunStore) {
    super(store, 'arb');
  }

  /** Books a cost once under `key` (a custom_id, or an overhead key); true if it was new. */
  async bookCost(runId: string, key: string, cost: RequestCost): Promise<boolean> {
    return this.bookRaw(runId, key, JSON.stringify(RequestCost.parse(cost)));
  }

  async ledger(runId: string): Promise<Map<string, RequestCost>> {
    const raw = await this.ledgerRaw(runId);
    return new Map(Object.entries(raw).map(([k, v]) => [k, RequestCost.parse(JSON.parse(v))]));
  }
}
