import type { RunStore } from '@gavel/queue';
import { ArbiterStore } from './arbiter-store.ts';
import { type CostSummary, type RequestCost, summarizeCosts } from './cost-ledger.ts';

/** A run's arbiter cost: per batch, overhead (priming, heartbeats) and total, beside the on-demand uncached counterfactual. */
export interface ArbiterCostReport {
  run_id: string;
  batches: { batch_id: string; summary: CostSummary }[];
  total: CostSummary;
}

export function buildCostReport(runId: string, costs: readonly RequestCost[]): ArbiterCostReport {
  const byBatch = new Map<string, RequestCost[]>();
  for (const c of costs) {
    if (c.kind !== 'batch' || !c.batch_id) continue;
    const list = byBatch.get(c.batch_id) ?? [];
    list.push(c);
    byBatch.set(c.batch_id, list);
  }
  return {
    run_id: runId,
    batches: [...byBatch].map(([batch_id, list]) => ({ batch_id, summary: summarizeCosts(list) })),
    total: summarizeCosts(costs),
  };
}

/** Reads a run's cost ledger from Redis (for `gavel report` / `gavel export`). */
export async function costReport(store: RunStore, runId: string): Promise<ArbiterCostReport> {
  const ledger = await new ArbiterStore(store).ledger(runId);
  return buildCostReport(runId, [...ledger.values()]);
}
