import { z } from 'zod';

/** The arbiter's batch records are the shared batch machinery's (`@gavel/queue`), under its names. */
export {
  BatchRecord,
  BatchSampleState as ArbiterSampleState,
  intentRequestIds,
  SubmitIntent,
} from '@gavel/queue';

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
