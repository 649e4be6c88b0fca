import { z } from 'zod';

/** Where one routed sample stands with the arbiter. */
export const ArbiterSampleState = z.object({
  attempt: z.number().int().nonnegative(),
  custom_id: z.string(),
  /** `reask`: its batch answer did not validate; the sample's collect job asks once more on its own. */
  status: z.enum(['pending', 'submitted', 'reask', 'done', 'failed']),
  batch_id: z.string().nullable(),
  reason: z.string().optional(),
});
export type ArbiterSampleState = z.infer<typeof ArbiterSampleState>;

/** Written before a batch is created, with a key derived from its request set. */
export const SubmitIntent = z.object({
  key: z.string(),
  run_id: z.string(),
  sample_ids: z.array(z.string()),
  custom_ids: z.array(z.string()),
  /** Attempt of each sample, parallel to `sample_ids`. */
  attempts: z.array(z.number().int().nonnegative()),
  at: z.number(),
  batch_id: z.string().nullable(),
  /** A token of the flusher that wrote it: only that flusher (or a recovery that read it) commits it. */
  owner: z.string().optional(),
  /**
   * Every request's custom_id when a sample sends more than one (a pair: both orders); absent when
   * they are `custom_ids` (one request a sample). Recovery matches a batch against these.
   */
  request_ids: z.array(z.string()).optional(),
});
export type SubmitIntent = z.infer<typeof SubmitIntent>;

/** The request ids a batch of this intent holds (see {@link SubmitIntent.request_ids}). */
export function intentRequestIds(intent: Pick<SubmitIntent, 'custom_ids' | 'request_ids'>): string[] {
  return intent.request_ids ?? intent.custom_ids;
}

/**
 * One order of a pair as the arbiter answered it in a batch (or on a re-ask): its answer in
 * positions, or why the answer did not validate. Kept until both orders are in.
 */
export const StoredPairOrder = z.object({
  custom_id: z.string(),
  first: z.enum(['a', 'b']),
  ok: z.boolean(),
  /** The validated pairwise answer (positions), when `ok`. */
  answer: z.unknown().optional(),
  reason: z.string().optional(),
  usage: z
    .object({ input: z.number(), output: z.number(), cache_write: z.number(), cache_read: z.number() })
    .optional(),
});
export type StoredPairOrder = z.infer<typeof StoredPairOrder>;

export const BatchRecord = z.object({
  batch_id: z.string(),
  run_id: z.string(),
  model: z.string(),
  intent: z.string(),
  custom_ids: z.array(z.string()),
  created_at: z.number(),
});
export type BatchRecord = z.infer<typeof BatchRecord>;
