import { ConfigError } from '@gavel/core';
import { z } from 'zod';

/** vLLM's `POST /tokenize` (chat form). */
export const VllmTokenizeReply = z.object({
  count: z.number().int().nonnegative(),
  max_model_len: z.number().int().positive(),
});
export type VllmTokenizeReply = z.infer<typeof VllmTokenizeReply>;

/** An OpenAI-compatible chat completion (non-streaming), as far as the judge reads it. */
export const ChatCompletionReply = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z.object({
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
    prompt_tokens_details: z
      .object({ cached_tokens: z.number().int().nonnegative().nullable().optional() })
      .nullable()
      .optional(),
  }),
});
export type ChatCompletionReply = z.infer<typeof ChatCompletionReply>;

/** Ollama's native `POST /api/chat` (non-streaming), as far as the judge reads it. */
export const OllamaChatReply = z.object({
  message: z.object({ content: z.string() }),
  done: z.literal(true),
});
export type OllamaChatReply = z.infer<typeof OllamaChatReply>;

/**
 * Reads a successful (HTTP 200) reply as the endpoint's. A reply that cannot be the endpoint's is
 * not a passing fault of the server but the wrong server (or the wrong GAVEL_JUDGE kind) behind the
 * URL: a `ConfigError`, so the worker stops (exit 78) and its jobs go back, instead of asking again.
 */
export function endpointReply<T>(shape: z.ZodType<T>, body: unknown, endpoint: string): T {
  const parsed = shape.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(
    `${endpoint} answered HTTP 200 with a body that is not this endpoint's reply (${issue?.path.join('.') || 'body'}: ${issue?.message}); check that GAVEL_JUDGE_URL points at the server GAVEL_JUDGE names`,
  );
}
