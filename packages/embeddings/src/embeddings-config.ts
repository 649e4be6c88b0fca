import { parseEnv } from '@gavel/core';
import { z } from 'zod';

const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** The embedding model behind `facts.reference.embedding_similarity` (`GAVEL_EMBEDDINGS_*`). */
export const EmbeddingsEnv = z
  .object({
    /** Server root: vLLM/OpenAI (`/v1/embeddings`) or Ollama (`/api/embed`). Unset: no embedding fact. */
    GAVEL_EMBEDDINGS_URL: unsetIfEmpty(z.string().url()),
    GAVEL_EMBEDDINGS_MODEL: unsetIfEmpty(z.string().min(1)),
    /** The wire format: `openai` (`POST /v1/embeddings`, vLLM and OpenAI) or `ollama` (`POST /api/embed`). @default openai */
    GAVEL_EMBEDDINGS_API: z.enum(['openai', 'ollama']).default('openai'),
    /** Bearer key; never logged. */
    GAVEL_EMBEDDINGS_API_KEY: unsetIfEmpty(z.string().min(1)),
    /** Texts per embedding request (requests of concurrent samples are gathered up to this). @default 64 */
    GAVEL_EMBEDDINGS_BATCH: z.coerce.number().int().positive().max(2048).default(64),
    /** Per-request deadline in seconds. @default 60 */
    GAVEL_EMBEDDINGS_TIMEOUT_S: z.coerce.number().positive().default(60),
  })
  .superRefine((e, ctx) => {
    if (e.GAVEL_EMBEDDINGS_URL && !e.GAVEL_EMBEDDINGS_MODEL) {
      ctx.addIssue({
        code: 'custom',
        path: ['GAVEL_EMBEDDINGS_MODEL'],
        message: 'required when GAVEL_EMBEDDINGS_URL is set',
      });
    }
  });

export interface EmbeddingsConfig {
  url: string;
  model: string;
  api: 'openai' | 'ollama';
  apiKey: string | undefined;
  batch: number;
  timeoutMs: number;
}

/** Parses the embeddings environment; undefined when no server is configured. */
export function loadEmbeddingsConfig(env: NodeJS.ProcessEnv): EmbeddingsConfig | undefined {
  const e = parseEnv(EmbeddingsEnv, env);
  if (!e.GAVEL_EMBEDDINGS_URL) return undefined;
  return {
    url: e.GAVEL_EMBEDDINGS_URL.replace(/\/+$/, '').replace(/\/v1$/, ''),
    model: e.GAVEL_EMBEDDINGS_MODEL ?? '',
    api: e.GAVEL_EMBEDDINGS_API,
    apiKey: e.GAVEL_EMBEDDINGS_API_KEY,
    batch: e.GAVEL_EMBEDDINGS_BATCH,
    timeoutMs: e.GAVEL_EMBEDDINGS_TIMEOUT_S * 1000,
  };
}
