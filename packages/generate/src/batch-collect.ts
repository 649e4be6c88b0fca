import type { BatchRecord, BatchSampleState, Completion, Logger } from '@gavel/core';
import {
  type BatchStore,
  failBatchSample,
  holdLock,
  type ResubmitPolicy,
  type RunStore,
  resubmitOrFail,
} from '@gavel/queue';
import type OpenAI from 'openai';
import { type SutPrice, toCompletion } from './completion-record.ts';
import type { BatchOutputLine, SutBatchApi } from './openai-batch-api.ts';
import { SutReply } from './sut-client.ts';
import type { SutBatchConfig } from './sut-config.ts';

export interface CollectContext {
  api: SutBatchApi;
  config: SutBatchConfig;
  store: RunStore;
  batches: BatchStore;
  price: SutPrice | undefined;
  signal: AbortSignal;
  log: Logger;
  onCompletion?: (completion: Completion) => void;
  /** TTL of the run's flush lock, held while collecting (renewed). @default 30000 */
  lockTtlMs?: number;
  /** Wakes these samples' delayed jobs (after a collection: done ones go on, re-submitted ones flush). */
  wake?: (runId: string, sampleIds: readonly string[]) => Promise<void>;
}

/** Codes of a request the API did not run (the Batch API's request output error codes): sent again. */
const NOT_RUN = new Set(['batch_expired', 'batch_cancelled', 'request_timeout']);

function policyOf(config: SutBatchConfig): ResubmitPolicy {
  return { maxResubmits: config.maxResubmits, setting: 'GAVEL_SUT_BATCH_MAX_RESUBMITS', stage: 'generate' };
}

/** The state of the sample this line answers, if it is still waiting for exactly this batch's answer. */
async function waitingState(
  ctx: CollectContext,
  record: BatchRecord,
  customId: string,
): Promise<{ sampleId: string; state: BatchSampleState } | undefined> {
  const mapped = await ctx.batches.lookupCustomId(record.run_id, customId);
  if (!mapped) {
    ctx.log.warn({ batchId: record.batch_id, customId }, 'batch line for an unknown custom_id ignored');
    return undefined;
  }
  const state = await ctx.batches.getState(record.run_id, mapped.sample_id);
  if (state?.status !== 'submitted' || state.attempt !== mapped.attempt || state.batch_id !== record.batch_id)
    return undefined;
  return { sampleId: mapped.sample_id, state };
}

/**
 * Records one output line: a 200 answer becomes the sample's completion (stored once — the first
 * write wins —, then the state done), priced from its returned usage at the batch share; a request
 * the API did not run (expired, cancelled, timed out) or answered 429/5xx is re-submitted under its
 * next attempt; any other status fails the sample with the API's message.
 */
async function settleLine(ctx: CollectContext, record: BatchRecord, line: BatchOutputLine): Promise<void> {
  const waiting = await waitingState(ctx, record, line.custom_id);
  if (!waiting) return;
  const { sampleId, state } = waiting;
  const runId = record.run_id;
  const where = `batch ${record.batch_id} request ${line.custom_id}`;
  const response = line.response;
  if (response && response.status_code === 200) {
    const reply = SutReply.safeParse(response.body);
    if (!reply.success) {
      const issue = reply.error.issues[0];
      const why = `${where}: HTTP 200 with a body that is not a chat completion (${issue?.path.join('.') || 'body'}: ${issue?.message})`;
      await failBatchSample(ctx.store, ctx.batches, runId, sampleId, state, why, 'generate');
      return;
    }
    const completion = toCompletion(reply.data, 'batch', state.attempt + 1, ctx.price);
    const stored = await ctx.store.generation.putCompletion(runId, sampleId, completion);
    if (stored === completion) ctx.onCompletion?.(completion);
    await ctx.batches.transition(runId, sampleId, state, { ...state, status: 'done' });
    return;
  }
  if (!response) {
    const code = line.error?.code ?? 'unknown';
    const reason = `${where} was not run: ${code}: ${line.error?.message ?? 'no message'}`;
    if (NOT_RUN.has(code))
      await resubmitOrFail(ctx.store, ctx.batches, runId, sampleId, state, reason, policyOf(ctx.config));
    else await failBatchSample(ctx.store, ctx.batches, runId, sampleId, state, reason, 'generate');
    return;
  }
  const body = response.body as { error?: { message?: string; type?: string } } | undefined;
  const reason = `${where} answered HTTP ${response.status_code}: ${body?.error?.type ?? 'error'}: ${body?.error?.message ?? 'no message'}`;
  if (response.status_code === 429 || response.status_code >= 500)
    await resubmitOrFail(ctx.store, ctx.batches, runId, sampleId, state, reason, policyOf(ctx.config));
  else await failBatchSample(ctx.store, ctx.batches, runId, sampleId, state, reason, 'generate');
}

/**
 * Reads a batch that reached a final status into the run store, once (under the run's flush lock,
 * then a `collected` mark): its output and error files line by line. A batch that failed validation has
 * no files: a member its errors name by line fails with that error; the others (and every member
 * of a batch failed as a whole, e.g. the enqueued-token limit) are re-submitted. A member with no
 * line in a completed, expired or cancelled batch is re-submitted too. Every change is a
 * compare-and-set on the sample's attempt, so a crash mid-collection and a second read change
 * nothing twice. False when another process holds the run's flush lock (it flushes or collects).
 */
export async function collectGenerateBatch(
  ctx: CollectContext,
  record: BatchRecord,
  batch: OpenAI.Batch,
): Promise<boolean> {
  const { batches, signal } = ctx;
  const runId = record.run_id;
  // The run's flush lock, not a lock of this batch: no batch goes out while a collection is
  // re-submitting requests, so the re-submitted ones leave together in the next batch.
  const lock = await holdLock(batches, batches.runKey(runId, 'flush-lock'), ctx.lockTtlMs ?? 30_000);
  if (!lock) return false;
  try {
    if (await batches.isCollected(runId, record.batch_id)) return true;
    let lines = 0;
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      for (const line of await ctx.api.fileLines(fileId, signal)) {
        await settleLine(ctx, record, line);
        lines += 1;
      }
    }
    const named = new Map<number, string>();
    const whole: string[] = [];
    for (const e of batch.errors?.data ?? []) {
      const text = `${e.code ?? 'error'}: ${e.message ?? 'no message'}`;
      if (typeof e.line === 'number') named.set(e.line, `${text} (line ${e.line}${e.param ? `, ${e.param}` : ''})`);
      else whole.push(text);
    }
    for (const [i, customId] of record.custom_ids.entries()) {
      const waiting = await waitingState(ctx, record, customId);
      if (!waiting) continue;
      const lineError = named.get(i + 1);
      const where = `batch ${record.batch_id} (${batch.status}) request ${customId}`;
      if (lineError) {
        const why = `${where} failed validation: ${lineError}`;
        await failBatchSample(ctx.store, batches, runId, waiting.sampleId, waiting.state, why, 'generate');
        continue;
      }
      const why =
        batch.status === 'failed'
          ? `${where} not run: the batch failed${whole.length > 0 ? `: ${whole.join('; ')}` : ''}`
          : `${where} has no line in the batch's output or error file`;
      await resubmitOrFail(ctx.store, batches, runId, waiting.sampleId, waiting.state, why, policyOf(ctx.config));
    }
    await batches.markCollected(runId, record.batch_id);
    ctx.log.info({ batchId: record.batch_id, status: batch.status, lines }, 'SUT batch collected');
  } finally {
    await lock.release();
  }
  // After the lock is released, so a woken re-submitted sample can flush at once.
  const members = await Promise.all(record.custom_ids.map((id) => batches.lookupCustomId(runId, id)));
  await ctx.wake?.(
    runId,
    members.flatMap((m) => (m ? [m.sample_id] : [])),
  );
  return true;
}
