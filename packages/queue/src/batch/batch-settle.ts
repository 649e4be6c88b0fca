import type { RunStore } from '../run-store.ts';
import type { BatchSampleState } from './batch-records.ts';
import type { BatchStore } from './batch-store.ts';
import { customIdFor } from './custom-id.ts';

/** Fails a sample for good (once: a compare-and-set on its state), recording the reason under `stage`. */
export async function failBatchSample(
  store: RunStore,
  batches: BatchStore,
  runId: string,
  sampleId: string,
  state: BatchSampleState,
  reason: string,
  stage: string,
): Promise<void> {
  if (await batches.transition(runId, sampleId, state, { ...state, status: 'failed', reason })) {
    await batches.redis.zrem(batches.runKey(runId, 'pending'), sampleId);
    await store.recordFailure(runId, sampleId, { stage, code: 'input', reason, at: new Date().toISOString() });
  }
}

export interface ResubmitPolicy {
  /** Attempts after the first a request gets before its sample fails. */
  maxResubmits: number;
  /** The setting that holds it, named in the failure. */
  setting: string;
  /** The stage a failure is recorded under. */
  stage: string;
}

/**
 * A request the provider did not answer (an errored or expired result): its sample goes back to
 * pending under its next attempt's custom_id (a new request, sent in a later batch), or, after
 * `maxResubmits` re-submissions, fails with the reason. Returns the new attempt, or undefined when
 * the sample failed or another process moved it first.
 */
export async function resubmitOrFail(
  store: RunStore,
  batches: BatchStore,
  runId: string,
  sampleId: string,
  state: BatchSampleState,
  reason: string,
  policy: ResubmitPolicy,
): Promise<number | undefined> {
  if (state.attempt >= policy.maxResubmits) {
    const why = `${reason}; gave up after ${state.attempt + 1} attempts (${policy.setting}=${policy.maxResubmits})`;
    await failBatchSample(store, batches, runId, sampleId, state, why, policy.stage);
    return undefined;
  }
  const next = state.attempt + 1;
  if (await batches.resubmit(runId, sampleId, state, customIdFor(runId, sampleId, next), Date.now())) return next;
  return undefined;
}

/**
 * A sample whose request failed for good, retried by a user (`gavel retry`, Bull Board's retry): it is
 * pending again under its next attempt's custom_id, so the retried job sends it in a later batch
 * instead of failing again on the old answer. False when it was not failed (or another process moved
 * it first).
 */
export async function reopenFailedRequest(batches: BatchStore, runId: string, sampleId: string): Promise<boolean> {
  const state = await batches.getState(runId, sampleId);
  if (state?.status !== 'failed') return false;
  return batches.resubmit(runId, sampleId, state, customIdFor(runId, sampleId, state.attempt + 1), Date.now());
}
