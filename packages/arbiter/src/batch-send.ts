import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@gavel/core';
import { failBatchSample, type HeldLock, halves, type RunStore, type SendOutcome, sendWithIntent } from '@gavel/queue';
import { errorFromApi, isRequestTooLarge } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import type { BatchMember } from './batch-assembly.ts';
import { handOver, type MemberJobs } from './hand-over.ts';

/** What sending a batch needs: the run, its flush lock, the API client and the stage's parts. */
export interface SendContext {
  deps: ArbiterDeps;
  metrics: ArbiterMetrics;
  client: Anthropic;
  store: RunStore;
  arb: ArbiterStore;
  runId: string;
  lock: HeldLock;
  signal: AbortSignal;
  log: Logger;
  reason: string;
  /** Told each created batch's id (the submit span records it). */
  onCreated?: (batchId: string) => void;
}

/** A member of a batch, with its submit job as read once for the flush (trace links, wake-up). */
export type SendMember = BatchMember & { job: MemberJobs[number] };

/** Fails a sample that can never be sent (its request alone is too big for a batch). */
export function failUnsendable(
  store: RunStore,
  arb: ArbiterStore,
  runId: string,
  member: { sampleId: string; attempt: number; customId: string },
  reason: string,
): Promise<void> {
  const from = { attempt: member.attempt, custom_id: member.customId, status: 'pending' as const, batch_id: null };
  return failBatchSample(store, arb, runId, member.sampleId, from, reason, 'arbiter-submit');
}

/**
 * Sends one request set as a batch through the shared {@link sendWithIntent} (intent, create,
 * commit; a duplicate cancelled), then hands the members over to the collect stage. A 413 splits
 * the set in halves, each sent the same way; no sample fails for it unless its request alone is
 * refused.
 */
export async function sendBatch(ctx: SendContext, members: readonly SendMember[]): Promise<void> {
  const { deps, arb, runId, client, log } = ctx;
  let outcome: SendOutcome;
  try {
    outcome = await sendWithIntent({
      batches: arb,
      runId,
      model: deps.config.model,
      lock: ctx.lock,
      log,
      // A pair sends two requests (its orders); the first's custom_id is the one its state holds.
      members: members.map((m) => ({
        sampleId: m.sampleId,
        attempt: m.attempt,
        customId: m.requests[0]?.custom_id as string,
        requestIds: m.requests.map((r) => r.custom_id),
      })),
      create: async () => {
        const batch = await client.messages.batches.create(
          {
            requests: members.flatMap((m) => m.requests) as Anthropic.Messages.Batches.BatchCreateParams['requests'],
          },
          // Not aborted when the lock is lost: a batch the API already created must come back to be
          // committed or cancelled, never be left running unseen.
          { signal: ctx.signal, timeout: deps.config.timeoutMs, maxRetries: 0 },
        );
        ctx.onCreated?.(batch.id);
        return { id: batch.id, createdAt: Date.parse(batch.created_at) };
      },
      cancel: async (batchId) => {
        await client.messages.batches
          .cancel(batchId, {}, { signal: ctx.signal, timeout: deps.config.timeoutMs })
          .catch((e: unknown) => {
            throw errorFromApi(e, `cancel duplicate batch ${batchId}`);
          });
      },
    });
  } catch (e) {
    if (!isRequestTooLarge(e)) throw errorFromApi(e, 'batch create');
    if (members.length === 1) {
      const only = members[0] as SendMember;
      await failUnsendable(
        ctx.store,
        arb,
        runId,
        { sampleId: only.sampleId, attempt: only.attempt, customId: only.requests[0]?.custom_id as string },
        `sample ${only.sampleId}'s arbiter request (${only.bytes} bytes) was refused as too large (413) on its own`,
      );
      return;
    }
    log.info({ runId, requests: members.length }, 'batch refused as too large (413): sending it in halves');
    for (const half of halves(members)) await sendBatch(ctx, half);
    return;
  }
  if (outcome.kind !== 'committed') return;
  await handOver(
    deps,
    outcome.intent,
    members.map((m) => m.job),
  );
  ctx.metrics.batchSubmitted(deps.config.model, members.length);
  log.info(
    { runId, batchId: outcome.record.batch_id, requests: members.length, reason: ctx.reason },
    'batch submitted',
  );
}
