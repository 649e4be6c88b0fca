import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@gavel/core';
import { type RecoveryApi, recoverIntents as recoverWith } from '@gavel/queue';
import { errorFromApi } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import { handOver } from './hand-over.ts';

/**
 * Message Batches as intent recovery reads them: listed newest first, ended once
 * `processing_status` is `ended`, their size the sum of `request_counts`, and no metadata (so a
 * candidate is adopted only after its results' custom_ids are checked).
 */
export function anthropicRecoveryApi(deps: ArbiterDeps, client: Anthropic): RecoveryApi {
  const { config } = deps;
  return {
    async *list(signal) {
      try {
        for await (const batch of client.messages.batches.list({ limit: 100 }, { signal, timeout: config.timeoutMs })) {
          const c = batch.request_counts;
          yield {
            id: batch.id,
            createdAt: Date.parse(batch.created_at),
            ended: batch.processing_status === 'ended',
            total: c.processing + c.succeeded + c.errored + c.canceled + c.expired,
          };
        }
      } catch (e) {
        throw errorFromApi(e, 'listing batches to recover a submit intent');
      }
    },
    async *resultIds(batchId, signal) {
      try {
        for await (const line of await client.messages.batches.results(batchId, {}, { signal })) yield line.custom_id;
      } catch (e) {
        throw errorFromApi(e, `results of ${batchId} to check its custom_ids`);
      }
    },
  };
}

/**
 * Settles the run's open submit intents with the shared recovery (see `recoverIntents` in
 * `@gavel/queue`); an adopted batch's samples are handed over to the collect stage. Returns the
 * samples held back while an intent may still be answered.
 */
export function recoverIntents(
  deps: ArbiterDeps,
  client: Anthropic,
  arb: ArbiterStore,
  runId: string,
  signal: AbortSignal,
  log: Logger,
): Promise<Set<string>> {
  return recoverWith({
    batches: arb,
    runId,
    model: deps.config.model,
    api: anthropicRecoveryApi(deps, client),
    timeoutMs: deps.config.timeoutMs,
    signal,
    log,
    onAdopted: (intent) => handOver(deps, intent),
  });
}
