import type { BatchSampleState, SubmitIntent } from '@gavel/core';

export { BatchRecord, BatchSampleState, SubmitIntent } from '@gavel/core';

/** The request ids a batch of this intent holds (see {@link SubmitIntent.request_ids}). */
export function intentRequestIds(intent: Pick<SubmitIntent, 'custom_ids' | 'request_ids'>): string[] {
  return intent.request_ids ?? intent.custom_ids;
}

/** Each member's state once its batch is persisted: submitted, with the batch id. */
export function submittedStates(intent: SubmitIntent, batchId: string): Map<string, BatchSampleState> {
  const states = new Map<string, BatchSampleState>();
  intent.sample_ids.forEach((sampleId, i) => {
    states.set(sampleId, {
      attempt: intent.attempts[i] ?? 0,
      custom_id: intent.custom_ids[i] as string,
      status: 'submitted',
      batch_id: batchId,
    });
  });
  return states;
}
