import { z } from 'zod';

/** Where one sample stands with a provider's batch API (the arbiter's and the generate stage's). */
export const BatchSampleState = z.object({
  attempt: z.number().int().nonnegative(),
  custom_id: z.string(),
  /** `reask` (arbiter only): its batch answer did not validate; the sample's collect job asks once more on its own. */
  status: z.enum(['pending', 'submitted', 'reask', 'done', 'failed']),
  batch_id: z.string().nullable(),
  reason: z.string().optional(),
});
export type BatchSampleState = z.infer<typeof BatchSampleState>;

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

export const BatchRecord = z.object({
  batch_id: z.string(),
  run_id: z.string(),
  model: z.string(),
  intent: z.string(),
  custom_ids: z.array(z.string()),
  created_at: z.number(),
});
export type BatchRecord = z.infer<typeof BatchRecord>;
