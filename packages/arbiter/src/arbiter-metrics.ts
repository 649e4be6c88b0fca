import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { RequestCost } from './cost-ledger.ts';

export type ArbiterResultType = 'succeeded' | 'errored' | 'expired' | 'canceled' | 'invalid_answer';

/** What the arbiter stages report; plug in {@link createArbiterPromMetrics} or anything else. */
export interface ArbiterMetrics {
  /** Called once per booked cost (never twice for the same request). */
  cost(cost: RequestCost): void;
  result(model: string, type: ArbiterResultType): void;
  batchSubmitted(model: string, requests: number): void;
  /** A pair the arbiter answered in both orders: whether its two answers agreed (its position consistency). */
  pairSettled(model: string, consistent: boolean): void;
}

export const noArbiterMetrics: ArbiterMetrics = { cost() {}, result() {}, batchSubmitted() {}, pairSettled() {} };

/** prom-client counters on `registry`: cost (actual and uncached counterfactual), tokens, results, batches. */
export function createArbiterPromMetrics(registry: Registry): ArbiterMetrics {
  const usd = new Counter({
    name: 'gavel_arbiter_cost_usd_total',
    help: 'Arbiter spend in USD, by model and kind (batch, priming, heartbeat, sync)',
    labelNames: ['model', 'kind'],
    registers: [registry],
  });
  const uncached = new Counter({
    name: 'gavel_arbiter_uncached_cost_usd_total',
    help: 'What the arbitrated requests would have cost on demand and uncached',
    labelNames: ['model'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'gavel_arbiter_tokens_total',
    help: 'Arbiter tokens by type (input, output, cache_write, cache_read)',
    labelNames: ['model', 'type'],
    registers: [registry],
  });
  const results = new Counter({
    name: 'gavel_arbiter_results_total',
    help: 'Arbiter request results by type',
    labelNames: ['model', 'type'],
    registers: [registry],
  });
  const batches = new Counter({
    name: 'gavel_arbiter_batches_total',
    help: 'Message batches submitted',
    labelNames: ['model'],
    registers: [registry],
  });
  const batchRequests = new Counter({
    name: 'gavel_arbiter_batch_requests_total',
    help: 'Requests sent in message batches',
    labelNames: ['model'],
    registers: [registry],
  });
  const pairs = new Counter({
    name: 'gavel_arbiter_pairs_total',
    help: 'Pairs the arbiter answered in both orders, by whether the two answers agreed (consistent) or not',
    labelNames: ['model', 'consistent'],
    registers: [registry],
  });
  return {
    cost(c) {
      usd.inc({ model: c.model, kind: c.kind }, c.usd);
      if (c.kind === 'batch' || c.kind === 'sync') uncached.inc({ model: c.model }, c.uncached_usd);
      tokens.inc({ model: c.model, type: 'input' }, c.input_tokens);
      tokens.inc({ model: c.model, type: 'output' }, c.output_tokens);
      tokens.inc({ model: c.model, type: 'cache_write' }, c.cache_write_5m_tokens + c.cache_write_1h_tokens);
      tokens.inc({ model: c.model, type: 'cache_read' }, c.cache_read_tokens);
    },
    result(model, type) {
      results.inc({ model, type });
    },
    batchSubmitted(model, requests) {
      batches.inc({ model });
      batchRequests.inc({ model }, requests);
    },
    pairSettled(model, consistent) {
      pairs.inc({ model, consistent: String(consistent) });
    },
  };
}
