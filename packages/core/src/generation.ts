import { z } from 'zod';

/**
 * Which of a prompt's n completions a generated sample is: its index and the seed it was asked
 * with (the run's seed + index). Until the completion is stored, the sample's `output` holds only
 * the output's fixed beginning (HumanEval: the problem's prompt; a native prompt: nothing).
 */
export const GenerationSlot = z
  .object({
    index: z.number().int().nonnegative(),
    seed: z.number().int(),
  })
  .strict();
export type GenerationSlot = z.infer<typeof GenerationSlot>;

/** Token counts the SUT's server reported for one completion. */
export const CompletionUsage = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
});
export type CompletionUsage = z.infer<typeof CompletionUsage>;

/**
 * One completion of the system under test, stored once (the first write wins) before the sample
 * goes on to the sandbox. `text` is what is appended to the sample's stored output.
 */
export const Completion = z.object({
  text: z.string(),
  /** The reply's content as the server sent it (the code is extracted from a fenced block). */
  raw: z.string(),
  /** `stop`, `length` (cut by the token limit), `content_filter`, … as the server said. */
  finish_reason: z.string().nullable(),
  /** True when the completion was cut by the output token limit (`finish_reason: length`). */
  truncated: z.boolean(),
  usage: CompletionUsage.nullable(),
  /** The model id the server answered with. */
  model: z.string(),
  /** How the completion was obtained: answered, adopted from the server's stored completions, or from a batch. */
  via: z.enum(['request', 'adopted', 'batch']),
  /** Requests sent for this completion (1 unless a crash lost an answer the server could not give back). */
  requests: z.number().int().positive(),
  /** Cost of the completion in USD from the price table, when the model has a price. */
  cost_usd: z.number().nonnegative().nullable(),
  at: z.string(),
});
export type Completion = z.infer<typeof Completion>;

/**
 * Written before each request for a completion: a retry that finds it knows an earlier attempt
 * asked (and may have been answered) and looks for that answer before asking again.
 */
export const GenerationIntent = z.object({
  /** The key the request carried (stored-completion metadata, batch custom_id). */
  key: z.string(),
  requests: z.number().int().positive(),
  at: z.string(),
});
export type GenerationIntent = z.infer<typeof GenerationIntent>;
