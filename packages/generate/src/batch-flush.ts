import { InputError, type Logger, type RunManifest } from '@gavel/core';
import {
  BATCH_BODY_OVERHEAD,
  type BatchStore,
  flushCandidates,
  holdLock,
  type RunStore,
  recoverIntents,
  requestBytes,
  sendWithIntent,
} from '@gavel/queue';
import type { BatchInputLine, SutBatchApi } from './openai-batch-api.ts';
import type { SutBatchConfig } from './sut-config.ts';
import { sutMessages } from './sut-prompt.ts';

/** The Batch API's limit on an input file (200 MB), less a margin. */
const MAX_FILE_BYTES = 190 * 1024 * 1024;

export interface BatchFlushContext {
  api: SutBatchApi;
  config: SutBatchConfig;
  store: RunStore;
  batches: BatchStore;
  manifest: RunManifest;
  signal: AbortSignal;
  log: Logger;
  /** TTL of the run's flush lock (renewed while held). @default 30000 */
  lockTtlMs?: number;
  /** Wakes the members' delayed jobs once their batch is recorded (they start polling it). */
  wake?: (runId: string, sampleIds: readonly string[]) => Promise<void>;
}

/** The request line of one sample (its prompt at its slot's seed), under its attempt's custom_id. */
async function inputLine(ctx: BatchFlushContext, sampleId: string, customId: string): Promise<BatchInputLine> {
  const { manifest } = ctx;
  const pinned = manifest.stages.generate;
  const sample = await ctx.store.getSample(manifest.run_id, sampleId);
  const slot = sample.kind === 'pair' ? undefined : sample.generation;
  if (!pinned || !slot) throw new InputError(`run ${manifest.run_id}: sample ${sampleId} has no generation slot`);
  return {
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model: ctx.api.model,
      messages: sutMessages(sample),
      temperature: pinned.temperature,
      seed: slot.seed,
      max_tokens: pinned.max_tokens,
      n: 1,
    },
  };
}

/**
 * Sends the run's due batch if one is due, under the run's flush lock; returns how long a waiting
 * sample should wait. Open intents are settled first (a batch created before a crash is adopted,
 * found by its intent metadata) and their samples held back; then the policy decides (size, the
 * window, or every sample of the run in), and the batch goes out through the shared
 * intent-before-create path.
 */
export async function flushGenerateBatch(ctx: BatchFlushContext): Promise<number> {
  const { api, config, batches, log, signal } = ctx;
  const runId = ctx.manifest.run_id;
  const lock = await holdLock(batches, batches.runKey(runId, 'flush-lock'), ctx.lockTtlMs ?? 30_000);
  if (!lock) return Math.min(config.windowMs, 1_000);
  const flushSignal = AbortSignal.any([signal, lock.signal]);
  try {
    const held = await recoverIntents({
      batches,
      runId,
      model: api.model,
      api: api.recovery,
      timeoutMs: api.timeoutMs,
      signal: flushSignal,
      log,
      // Each member's own job polls the adopted batch: woken now rather than at its next wake-up.
      onAdopted: async (intent) => ctx.wake?.(runId, intent.sample_ids),
    });
    const total = (await ctx.store.progress(runId)).total;
    const drained = total > 0 && (await batches.enteredCount(runId)) >= total;
    const window = { windowMs: config.windowMs, maxRequests: config.maxRequests, pollMs: config.pollMs };
    const candidates = await flushCandidates(batches, runId, held, window, drained);
    if ('waitMs' in candidates) return candidates.waitMs;
    const pending = candidates.send;
    const members: { sampleId: string; attempt: number; customId: string }[] = [];
    const lines: BatchInputLine[] = [];
    let bytes = BATCH_BODY_OVERHEAD;
    for (const { sampleId } of pending) {
      const state = await batches.getState(runId, sampleId);
      if (state?.status !== 'pending' || (await ctx.store.generation.completion(runId, sampleId))) {
        await batches.redis.zrem(batches.runKey(runId, 'pending'), sampleId);
        continue;
      }
      const line = await inputLine(ctx, sampleId, state.custom_id);
      const size = requestBytes(line);
      if (bytes + size > MAX_FILE_BYTES) break;
      bytes += size;
      lines.push(line);
      members.push({ sampleId, attempt: state.attempt, customId: state.custom_id });
    }
    if (members.length === 0) return 0;
    const outcome = await sendWithIntent({
      batches,
      runId,
      model: api.model,
      lock,
      log,
      members,
      create: (intent) => api.create(lines, intent.key, signal),
      cancel: (batchId) => api.cancel(batchId, signal),
    });
    if (outcome.kind === 'committed') {
      log.info(
        { runId, batchId: outcome.record.batch_id, requests: members.length, reason: candidates.reason },
        'SUT batch submitted',
      );
      await ctx.wake?.(runId, outcome.intent.sample_ids);
    }
    return 0;
  } finally {
    await lock.release();
  }
}
