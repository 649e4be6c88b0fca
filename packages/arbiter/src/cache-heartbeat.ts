import type Anthropic from '@anthropic-ai/sdk';
import type { RunStore } from '@gavel/queue';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import type { BatchRecord } from './arbiter-records.ts';
import { buildPrimingRequest } from './arbiter-request.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import { requestCost } from './cost-ledger.ts';
import { cacheTtlMs } from './priming.ts';
import { rubricOf } from './record-answer.ts';

/**
 * Re-reads the cached prefix while a batch processes (at most once per 80% of the TTL per
 * batch), so a long batch keeps hitting it; booked as overhead.
 */
export async function cacheHeartbeat(
  deps: ArbiterDeps,
  metrics: ArbiterMetrics,
  client: Anthropic,
  store: RunStore,
  arb: ArbiterStore,
  record: BatchRecord,
  signal: AbortSignal,
): Promise<void> {
  const { config } = deps;
  const gate = await arb.tryLock(
    arb.batchKey(record.run_id, record.batch_id, 'heartbeat'),
    Math.floor(cacheTtlMs(config.cacheTtl) * 0.8),
  );
  if (!gate) return;
  const sampleId = (await arb.lookupCustomId(record.run_id, record.custom_ids[0] ?? ''))?.sample_id;
  if (!sampleId) return;
  const rubric = await rubricOf(deps, store, record.run_id, sampleId);
  const params = buildPrimingRequest(record.model, rubric, config.cacheTtl);
  const message = await client.messages.create(params as Anthropic.Messages.MessageCreateParamsNonStreaming, {
    signal,
    timeout: config.timeoutMs,
  });
  const price = config.prices[record.model];
  if (!price) return;
  const cost = requestCost(message.usage, price, record.model, 'heartbeat', record.batch_id);
  if (await arb.bookCost(record.run_id, `heartbeat:${record.batch_id}:${Date.now()}`, cost)) metrics.cost(cost);
}
