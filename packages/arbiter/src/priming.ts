import { createHash } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { arbiterPrimedKey } from '@gavel/core';
import { errorFromApi } from './api-errors.ts';
import type { ArbiterConfig } from './arbiter-config.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import { type ArbiterRequestParams, estimateTokens } from './arbiter-request.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import { requestCost } from './cost-ledger.ts';

/** How long a prefix stays cached after its last use. */
export const cacheTtlMs = (ttl: ArbiterConfig['cacheTtl']): number => (ttl === '1h' ? 3_600_000 : 300_000);

/**
 * Warms the cached prefix with one synchronous call before a batch, unless the prefix is too
 * short to cache or was primed recently (well within its TTL). The priming request carries the
 * same tools and system blocks as the batch requests (the cached prefix runs tools → system).
 */
export async function primeCache(
  config: ArbiterConfig,
  metrics: ArbiterMetrics,
  client: Anthropic,
  arb: ArbiterStore,
  runId: string,
  priming: { params: ArbiterRequestParams; rubricText: string },
  signal: AbortSignal,
): Promise<void> {
  if (estimateTokens(priming.rubricText) < config.minCacheTokens) return;
  const prefixHash = createHash('sha256')
    .update(JSON.stringify([priming.params.tools, priming.params.system]))
    .digest('hex');
  const warmKey = arbiterPrimedKey(arb.store.prefix, config.model, prefixHash);
  const startedAt = Date.now();
  const ttlMs = cacheTtlMs(config.cacheTtl);
  if ((await arb.redis.set(warmKey, String(startedAt), 'PX', Math.floor(ttlMs * 0.8), 'NX')) !== 'OK') return;
  const message = await client.messages
    .create(priming.params as Anthropic.Messages.MessageCreateParamsNonStreaming, {
      signal,
      timeout: config.timeoutMs,
    })
    .catch(async (e: unknown) => {
      await arb.redis.del(warmKey);
      throw errorFromApi(e, 'priming call');
    });
  const price = config.prices[config.model];
  if (!price) return;
  const cost = requestCost(message.usage, price, config.model, 'priming');
  if (await arb.bookCost(runId, `prime:${prefixHash.slice(0, 16)}:${startedAt}`, cost)) metrics.cost(cost);
}
