import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createArbiterPromMetrics } from './arbiter-metrics.ts';
import { requestCost } from './cost-ledger.ts';
import { DEFAULT_PRICES } from './price-table.ts';

describe('createArbiterPromMetrics', () => {
  it('counts spend by kind, the uncached counterfactual of arbitrated requests only, tokens and results', async () => {
    const registry = new Registry();
    const metrics = createArbiterPromMetrics(registry);
    const price = DEFAULT_PRICES['claude-sonnet-4-6'];
    if (!price) throw new Error('no price');
    const batch = requestCost(
      { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 1000 },
      price,
      'm',
      'batch',
      'b',
    );
    const prime = requestCost(
      { input_tokens: 5, output_tokens: 1, cache_creation_input_tokens: 1000 },
      price,
      'm',
      'priming',
    );
    metrics.cost(batch);
    metrics.cost(prime);
    metrics.result('m', 'expired');
    metrics.batchSubmitted('m', 7);
    metrics.pairSettled('m', true);
    metrics.pairSettled('m', false);
    metrics.pairSettled('m', false);
    const text = await registry.metrics();
    expect(text).toContain(`gavel_arbiter_cost_usd_total{model="m",kind="batch"} ${batch.usd}`);
    expect(text).toContain(`gavel_arbiter_cost_usd_total{model="m",kind="priming"} ${prime.usd}`);
    expect(text).toContain(`gavel_arbiter_uncached_cost_usd_total{model="m"} ${batch.uncached_usd}`);
    expect(text).toContain('gavel_arbiter_tokens_total{model="m",type="cache_read"} 1000');
    expect(text).toContain('gavel_arbiter_tokens_total{model="m",type="cache_write"} 1000');
    expect(text).toContain('gavel_arbiter_results_total{model="m",type="expired"} 1');
    expect(text).toContain('gavel_arbiter_batch_requests_total{model="m"} 7');
    expect(text).toContain('gavel_arbiter_pairs_total{model="m",consistent="true"} 1');
    expect(text).toContain('gavel_arbiter_pairs_total{model="m",consistent="false"} 2');
  });
});
