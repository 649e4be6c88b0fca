import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@gavel/core';
import { errorFromApi } from './api-errors.ts';
import type { ArbiterConfig } from './arbiter-config.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import { requestCost } from './cost-ledger.ts';

/**
 * Books what the run's cancelled duplicate batches cost: a request the API processed before the
 * cancel took effect is paid for, though its answer is not used (the committed batch has the
 * sample). Each ended duplicate is read once; one still processing is cancelled (again) and left
 * for a later call.
 */
export async function drainDuplicates(
  config: ArbiterConfig,
  metrics: ArbiterMetrics,
  client: Anthropic,
  arb: ArbiterStore,
  runId: string,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  for (const batchId of await arb.duplicates(runId)) {
    try {
      const batch = await client.messages.batches.retrieve(batchId, {}, { signal, timeout: config.timeoutMs });
      if (batch.processing_status === 'in_progress') {
        await client.messages.batches.cancel(batchId, {}, { signal, timeout: config.timeoutMs });
        continue;
      }
      if (batch.processing_status !== 'ended') continue;
      const price = config.prices[config.model];
      let paid = 0;
      for await (const line of await client.messages.batches.results(batchId, {}, { signal })) {
        if (line.result.type !== 'succeeded' || !price) continue;
        const cost = requestCost(line.result.message.usage, price, config.model, 'batch', batchId);
        if (await arb.bookCost(runId, `dup:${batchId}:${line.custom_id}`, cost)) {
          metrics.cost(cost);
          paid += 1;
        }
      }
      await arb.markDuplicateDrained(runId, batchId);
      log.info({ batchId, paid }, 'cancelled duplicate batch drained');
    } catch (e) {
      log.warn({ err: errorFromApi(e, `draining duplicate batch ${batchId}`) }, 'duplicate batch not drained yet');
    }
  }
}
