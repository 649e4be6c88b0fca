import { z } from 'zod';
import type { ModelPrice } from './price-table.ts';

/** The `usage` fields of a Messages response that cost money. */
export const ArbiterUsage = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
  cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  cache_creation: z
    .object({
      ephemeral_5m_input_tokens: z.number().int().nonnegative().nullish(),
      ephemeral_1h_input_tokens: z.number().int().nonnegative().nullish(),
    })
    .nullish(),
});
export type ArbiterUsage = z.infer<typeof ArbiterUsage>;

/** What one request cost, beside the same request sent on demand with no cache. */
export const RequestCost = z.object({
  model: z.string(),
  /** `batch` requests get the batch discount; `priming`/`heartbeat`/`sync` are on-demand. */
  kind: z.enum(['batch', 'priming', 'heartbeat', 'sync']),
  batch_id: z.string().nullable(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_write_5m_tokens: z.number().int().nonnegative(),
  cache_write_1h_tokens: z.number().int().nonnegative(),
  cache_read_tokens: z.number().int().nonnegative(),
  usd: z.number().nonnegative(),
  /** The same tokens on demand, uncached. */
  uncached_usd: z.number().nonnegative(),
  /** The cached prefix tokens alone (read or written): what they cost and would have cost uncached. */
  prefix_usd: z.number().nonnegative(),
  prefix_uncached_usd: z.number().nonnegative(),
});
export type RequestCost = z.infer<typeof RequestCost>;

const M = 1_000_000;

/**
 * Prices one request from its `usage`. Cache writes are split by TTL from `cache_creation`; an
 * API that reports only `cache_creation_input_tokens` is booked at the 5-minute rate.
 */
export function requestCost(
  usage: ArbiterUsage,
  price: ModelPrice,
  model: string,
  kind: RequestCost['kind'],
  batchId: string | null = null,
): RequestCost {
  const w1h = usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const w5mSplit = usage.cache_creation?.ephemeral_5m_input_tokens;
  const w5m = w5mSplit ?? Math.max(0, (usage.cache_creation_input_tokens ?? 0) - w1h);
  const read = usage.cache_read_input_tokens ?? 0;
  const discount = kind === 'batch' ? price.batch : 1;
  const inRate = price.input_per_mtok / M;
  const outRate = price.output_per_mtok / M;
  const prefixUsd =
    (w5m * price.cache_write_5m + w1h * price.cache_write_1h + read * price.cache_read) * inRate * discount;
  const usd = (usage.input_tokens * inRate + usage.output_tokens * outRate) * discount + prefixUsd;
  const uncached = (usage.input_tokens + w5m + w1h + read) * inRate + usage.output_tokens * outRate;
  return {
    model,
    kind,
    batch_id: batchId,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_write_5m_tokens: w5m,
    cache_write_1h_tokens: w1h,
    cache_read_tokens: read,
    usd,
    uncached_usd: uncached,
    prefix_usd: prefixUsd,
    prefix_uncached_usd: (w5m + w1h + read) * inRate,
  };
}

/** Sum of request costs, by kind, with the share actually paid. */
export interface CostSummary {
  requests: number;
  usd: number;
  /** Arbitrated requests on demand, uncached (overhead calls have no counterfactual). */
  uncached_usd: number;
  overhead_usd: number;
  saving_usd: number;
  /** usd / uncached_usd (overhead included). */
  paid_share: number;
  /** What the cached rubric prefix cost against its uncached price (reads alone near 5% in a batch). */
  prefix_share: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  input_tokens: number;
  output_tokens: number;
}

export function summarizeCosts(costs: readonly RequestCost[]): CostSummary {
  let usd = 0;
  let uncached = 0;
  let overhead = 0;
  let prefix = 0;
  let prefixUncached = 0;
  let requests = 0;
  let read = 0;
  let write = 0;
  let input = 0;
  let output = 0;
  for (const c of costs) {
    usd += c.usd;
    read += c.cache_read_tokens;
    write += c.cache_write_5m_tokens + c.cache_write_1h_tokens;
    input += c.input_tokens;
    output += c.output_tokens;
    if (c.kind === 'batch' || c.kind === 'sync') {
      requests += 1;
      uncached += c.uncached_usd;
      prefix += c.prefix_usd;
      prefixUncached += c.prefix_uncached_usd;
    } else {
      overhead += c.usd;
    }
  }
  return {
    requests,
    usd,
    uncached_usd: uncached,
    overhead_usd: overhead,
    saving_usd: uncached - usd,
    paid_share: uncached > 0 ? usd / uncached : 0,
    prefix_share: prefixUncached > 0 ? prefix / prefixUncached : 0,
    cache_read_tokens: read,
    cache_write_tokens: write,
    input_tokens: input,
    output_tokens: output,
  };
}
