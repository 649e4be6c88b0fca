import { randomUUID } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import { errorFromApi, isRequestTooLarge } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import type { SubmitIntent } from './arbiter-records.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import type { BatchMember } from './batch-assembly.ts';
import { halves } from './batch-policy.ts';
import { intentKeyFor } from './custom-id.ts';
import { handOver, type MemberJobs, submittedStates } from './hand-over.ts';
import type { HeldLock } from './held-lock.ts';

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
export async function failUnsendable(
  store: RunStore,
  arb: ArbiterStore,
  runId: string,
  member: { sampleId: string; attempt: number; customId: string },
  reason: string,
): Promise<void> {
  const from = { attempt: member.attempt, custom_id: member.customId, status: 'pending' as const, batch_id: null };
  if (!(await arb.transition(runId, member.sampleId, from, { ...from, status: 'failed', reason }))) return;
  await arb.redis.zrem(arb.runKey(runId, 'pending'), member.sampleId);
  await store.recordFailure(runId, member.sampleId, {
    stage: 'arbiter-submit',
    code: 'input',
    reason,
    at: new Date().toISOString(),
  });
}

/**
 * Sends one request set as a batch: the intent first (its key derived from the custom_ids), the
 * create call (no SDK retries: a timed-out create may have created the batch, and recovery
 * finds it), then the commit, which succeeds only while the intent is open and the samples still
 * pending. A batch created for an intent that is no longer open (this flusher lost its lock and
 * another took over) is a duplicate: it is cancelled and drained for cost later. A 413 splits
 * the set in halves, each sent the same way; no sample fails for it unless its request alone is
 * refused.
 */
export async function sendBatch(ctx: SendContext, members: readonly SendMember[]): Promise<void> {
  const { deps, arb, runId, client, log } = ctx;
  const customIds = members.map((m) => m.requests[0]?.custom_id as string);
  const requests = members.flatMap((m) => m.requests);
  const requestIds = requests.map((r) => r.custom_id);
  const intent: SubmitIntent = {
    key: intentKeyFor(runId, requestIds),
    run_id: runId,
    sample_ids: members.map((m) => m.sampleId),
    custom_ids: customIds,
    attempts: members.map((m) => m.attempt),
    at: Date.now(),
    batch_id: null,
    owner: randomUUID(),
    ...(requestIds.length > customIds.length ? { request_ids: requestIds } : {}),
  };
  await arb.writeIntent(intent);
  if (!(await ctx.lock.stillHeld())) {
    await arb.dropIntent(runId, intent.key);
    log.warn({ runId, intent: intent.key }, 'flush lock lost before the batch was created; nothing sent');
    return;
  }
  let batch: Anthropic.Messages.Batches.MessageBatch;
  try {
    batch = await client.messages.batches.create(
      { requests: requests as Anthropic.Messages.Batches.BatchCreateParams['requests'] },
      // Not aborted when the lock is lost: a batch the API already created must come back to be
      // committed or cancelled, never be left running unseen.
      { signal: ctx.signal, timeout: deps.config.timeoutMs, maxRetries: 0 },
    );
    ctx.onCreated?.(batch.id);
  } catch (e) {
    // An HTTP error answer means no batch was created; a lost connection or a timeout may have created one.
    const answered = typeof (e as { status?: unknown })?.status === 'number';
    if (answered) await arb.dropIntent(runId, intent.key);
    if (!isRequestTooLarge(e)) throw errorFromApi(e, 'batch create');
    if (members.length === 1) {
      const only = members[0] as SendMember;
      await failUnsendable(
        ctx.store,
        arb,
        runId,
        { sampleId: only.sampleId, attempt: only.attempt, customId: customIds[0] as string },
        `sample ${only.sampleId}'s arbiter request (${only.bytes} bytes) was refused as too large (413) on its own`,
      );
      return;
    }
    log.info({ runId, requests: members.length }, 'batch refused as too large (413): sending it in halves');
    for (const half of halves(members)) await sendBatch(ctx, half);
    return;
  }
  const record = {
    batch_id: batch.id,
    run_id: runId,
    model: deps.config.model,
    intent: intent.key,
    custom_ids: requestIds,
    created_at: Date.parse(batch.created_at),
  };
  if (!(await arb.commitIfOpen(intent, record, submittedStates(intent, batch.id)))) {
    // A recovery that ran while this create was in flight adopted this very batch: it is committed.
    if (await arb.getBatch(runId, batch.id)) return;
    await arb.recordDuplicate(runId, batch.id, record.created_at);
    await client.messages.batches
      .cancel(batch.id, {}, { signal: ctx.signal, timeout: deps.config.timeoutMs })
      .catch((e: unknown) => {
        throw errorFromApi(e, `cancel duplicate batch ${batch.id}`);
      });
    log.warn({ runId, batchId: batch.id, intent: intent.key }, 'batch created for an intent no longer open: cancelled');
    return;
  }
  await handOver(
    deps,
    intent,
    members.map((m) => m.job),
  );
  ctx.metrics.batchSubmitted(deps.config.model, members.length);
  log.info({ runId, batchId: batch.id, requests: members.length, reason: ctx.reason }, 'batch submitted');
}
