import { ConfigError, GENERATE_BATCH_NS, InputError, type Logger, type RunManifest, TransientError } from '@gavel/core';
import { BatchStore, customIdFor, pollDelayMs, type RunStore, reopenFailedRequest } from '@gavel/queue';
import OpenAI from 'openai';
import { collectGenerateBatch } from './batch-collect.ts';
import { flushGenerateBatch } from './batch-flush.ts';
import type { SutPrice } from './completion-record.ts';
import { FINAL_STATUSES, type SutBatchApi } from './openai-batch-api.ts';
import type { SutBatchConfig } from './sut-config.ts';

export interface BatchSampleDeps {
  api: SutBatchApi;
  config: SutBatchConfig;
  /** TTL of the run's flush lock. */
  lockTtlMs: number;
  price: SutPrice | undefined;
  onCompletion?: Parameters<typeof collectGenerateBatch>[0]['onCompletion'];
  /** Wakes the generate jobs of these samples now if they wait delayed (a batch went out or was read). */
  wake?: (runId: string, sampleIds: readonly string[]) => Promise<void>;
}

/** An SDK error of a Batch API call as the stage's error: a refused key or route is the worker's configuration. */
function mapBatchError(error: unknown, url: string, signal: AbortSignal): never {
  if (signal.aborted) throw signal.reason;
  if (error instanceof ConfigError || error instanceof InputError || error instanceof TransientError) throw error;
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    const detail = `SUT batch API at ${url}: HTTP ${error.status} ${error.message}`;
    if (error.status === 401 || error.status === 403 || error.status === 404)
      throw new ConfigError(
        `${detail}; check GAVEL_SUT_URL and GAVEL_SUT_API_KEY (the endpoint must serve /v1/files and /v1/batches)`,
      );
    if (error.status === 400 || error.status === 422) throw new InputError(detail, { cause: error });
    throw new TransientError(detail, { cause: error });
  }
  if (error instanceof OpenAI.APIError)
    throw new TransientError(`SUT batch API at ${url}: ${error.message}`, { cause: error });
  throw error;
}

/**
 * One generate job in batch mode: how long it should wait (delayed, no worker slot held), or
 * `done` once the sample's completion is stored. A sample enters the run's pending set once
 * (attempt 0); the job that finds a batch due sends it (see {@link flushGenerateBatch}); a
 * submitted sample's job polls its batch at most once per interval across the batch (a poll lock)
 * and the job that finds it final reads its files once (see {@link collectGenerateBatch}). A
 * re-submitted sample is pending again under its next attempt and goes out in a later batch.
 */
export async function stepBatchSample(
  deps: BatchSampleDeps,
  store: RunStore,
  manifest: RunManifest,
  sampleId: string,
  signal: AbortSignal,
  log: Logger,
  /** The job was retried by a user after the sample failed (see `StageContext.retried`). */
  retried = false,
): Promise<{ waitMs: number } | 'done'> {
  const runId = manifest.run_id;
  const batches = new BatchStore(store, GENERATE_BATCH_NS);
  const { api, config } = deps;
  const ctx = {
    api,
    config,
    store,
    batches,
    manifest,
    price: deps.price,
    signal,
    log,
    onCompletion: deps.onCompletion,
    wake: deps.wake,
    lockTtlMs: deps.lockTtlMs,
  };
  try {
    for (let round = 0; round < 3; round += 1) {
      if (await store.generation.completion(runId, sampleId)) return 'done';
      const state =
        (await batches.getState(runId, sampleId)) ??
        (await batches.enterPending(runId, sampleId, customIdFor(runId, sampleId, 0), Date.now()));
      switch (state.status) {
        case 'done':
          // Done is written after the completion: a completion is there.
          return 'done';
        case 'failed':
          // Retried from Bull Board: the request goes again under its next attempt (as `gavel retry` does).
          if (retried && round === 0 && (await reopenFailedRequest(batches, runId, sampleId))) continue;
          throw new InputError(state.reason ?? `sample ${sampleId}: its batch request failed`);
        case 'reask':
          throw new InputError(state.reason ?? `sample ${sampleId}: its batch request failed`);
        case 'pending': {
          if (await batches.ensurePending(runId, sampleId, state, Date.now()))
            log.warn({ customId: state.custom_id }, 'pending sample was missing from the pending set; re-added');
          const waitMs = await flushGenerateBatch(ctx);
          const after = await batches.getState(runId, sampleId);
          if (after?.status === 'pending') return { waitMs: Math.max(200, waitMs) };
          continue;
        }
        case 'submitted':
          break;
      }
      const batchId = state.batch_id;
      if (!batchId) throw new InputError(`run ${runId}: sample ${sampleId} is submitted without a batch id`);
      const record = await batches.getBatch(runId, batchId);
      if (!record) throw new InputError(`batch ${batchId} of sample ${sampleId} has no record in Redis`);
      if (await batches.isCollected(runId, batchId)) {
        // Collected, yet this sample still waits on it: it had no line (the collection re-submits such members).
        throw new TransientError(`batch ${batchId} is collected but sample ${sampleId} is still submitted to it`);
      }
      const polls = await batches.polls(runId, batchId);
      const interval = pollDelayMs(config.pollMs, polls);
      const gate = await batches.tryLock(batches.batchKey(runId, batchId, 'poll'), Math.max(100, interval - 100));
      if (!gate) return { waitMs: interval };
      const batch = await api.retrieve(batchId, signal);
      await batches.bumpPolls(runId, batchId);
      if (!FINAL_STATUSES.has(batch.status)) return { waitMs: pollDelayMs(config.pollMs, polls + 1) };
      if (!(await collectGenerateBatch(ctx, record, batch))) return { waitMs: Math.min(config.pollMs, 1_000) };
    }
    return { waitMs: 200 };
  } catch (error) {
    return mapBatchError(error, api.url, signal);
  }
}
