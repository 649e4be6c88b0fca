import { describe, expect, it } from 'vitest';
import { requestCost, summarizeCosts } from './cost-ledger.ts';
import { DEFAULT_PRICES } from './price-table.ts';

const price = DEFAULT_PRICES['claude-sonnet-4-6'];
if (!price) throw new Error('no default price for claude-sonnet-4-6');

describe('requestCost', () => {
  it('prices a batch cache read at 5% of the uncached input rate and output at half', () => {
    const cost = requestCost(
      { input_tokens: 0, output_tokens: 1_000_000, cache_read_input_tokens: 1_000_000, cache_creation_input_tokens: 0 },
      price,
      'claude-sonnet-4-6',
      'batch',
      'msgbatch_1',
    );
    expect(cost.prefix_usd).toBeCloseTo(3 * 0.1 * 0.5, 9);
    expect(cost.prefix_uncached_usd).toBeCloseTo(3, 9);
    expect(cost.usd).toBeCloseTo(0.15 + 7.5, 9);
    expect(cost.uncached_usd).toBeCloseTo(3 + 15, 9);
    expect(cost.batch_id).toBe('msgbatch_1');
  });

  it('splits cache writes by TTL from cache_creation (1h at 2x, 5m at 1.25x), on demand for priming', () => {
    const cost = requestCost(
      {
        input_tokens: 0,
        output_tokens: 0,
        cache_creation_input_tokens: 3_000_000,
        cache_creation: { ephemeral_5m_input_tokens: 1_000_000, ephemeral_1h_input_tokens: 2_000_000 },
      },
      price,
      'm',
      'priming',
    );
    expect(cost.cache_write_5m_tokens).toBe(1_000_000);
    expect(cost.cache_write_1h_tokens).toBe(2_000_000);
    expect(cost.usd).toBeCloseTo(3 * 1.25 + 3 * 2 * 2, 9);
  });

  it('books a write reported only as cache_creation_input_tokens at the 5-minute rate', () => {
    const cost = requestCost(
      { input_tokens: 10, output_tokens: 0, cache_creation_input_tokens: 100 },
      price,
      'm',
      'sync',
    );
    expect(cost.cache_write_5m_tokens).toBe(100);
    expect(cost.cache_write_1h_tokens).toBe(0);
  });
});

describe('summarizeCosts', () => {
  it('keeps overhead calls out of the counterfactual and reports the share paid', () => {
    const batch = requestCost(
      { input_tokens: 100, output_tokens: 100, cache_read_input_tokens: 1000 },
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
    const s = summarizeCosts([batch, batch, prime]);
    expect(s.requests).toBe(2);
    expect(s.uncached_usd).toBeCloseTo(2 * batch.uncached_usd, 12);
    expect(s.overhead_usd).toBeCloseTo(prime.usd, 12);
    expect(s.usd).toBeCloseTo(2 * batch.usd + prime.usd, 12);
    expect(s.paid_share).toBeCloseTo(s.usd / s.uncached_usd, 12);
    expect(s.prefix_share).toBeCloseTo(0.05, 12);
    expect(s.saving_usd).toBeCloseTo(s.uncached_usd - s.usd, 12);
  });
});
