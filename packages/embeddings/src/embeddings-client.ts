import { ConfigError, InputError } from '@gavel/core';
import { requestJson, withServerRetry } from '@gavel/judge';
import { z } from 'zod';
import type { EmbeddingsConfig } from './embeddings-config.ts';

/** OpenAI's and vLLM's `POST /v1/embeddings` reply (`encoding_format: "float"`). */
const OpenAiEmbeddings = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })),
});

/** Ollama's `POST /api/embed` reply. */
const OllamaEmbeddings = z.object({ embeddings: z.array(z.array(z.number())) });

/** One request for the vectors of `texts`, in their order, from either wire format. */
export type EmbedFn = (texts: readonly string[], signal: AbortSignal) => Promise<number[][]>;

function shapeError(config: EmbeddingsConfig, endpoint: string, problem: string): ConfigError {
  return new ConfigError(
    `embeddings at ${config.url} (model ${config.model}): ${endpoint} answered HTTP 200 but ${problem}; check GAVEL_EMBEDDINGS_URL and GAVEL_EMBEDDINGS_API=${config.api}`,
  );
}

/**
 * The embedding server's client: OpenAI/vLLM `/v1/embeddings` or Ollama `/api/embed`, one request
 * per batch of texts, with the judge's backoff (Retry-After honoured, waits out a server that is
 * down). A reply of the wrong shape is a `ConfigError` (the wrong server behind the URL).
 */
export function createEmbeddingsClient(config: EmbeddingsConfig, waitMs = 120_000): EmbedFn {
  const headers: Record<string, string> = config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
  return async (texts, signal) => {
    if (texts.length === 0) return [];
    const endpoint = config.api === 'openai' ? 'POST /v1/embeddings' : 'POST /api/embed';
    const url = config.api === 'openai' ? `${config.url}/v1/embeddings` : `${config.url}/api/embed`;
    const body =
      config.api === 'openai'
        ? { model: config.model, input: texts, encoding_format: 'float' }
        : { model: config.model, input: texts };
    const reply = await withServerRetry(
      () => requestJson('POST', url, body, { signal, timeoutMs: config.timeoutMs, headers }),
      { signal, waitMs },
    ).catch((error: unknown) => {
      if (error instanceof InputError) throw new InputError(`embeddings ${endpoint}: ${error.message}`);
      throw error;
    });
    let vectors: number[][];
    if (config.api === 'openai') {
      const parsed = OpenAiEmbeddings.safeParse(reply);
      if (!parsed.success) throw shapeError(config, endpoint, 'without data[].embedding');
      vectors = new Array(texts.length);
      for (const item of parsed.data.data) vectors[item.index] = item.embedding;
    } else {
      const parsed = OllamaEmbeddings.safeParse(reply);
      if (!parsed.success) throw shapeError(config, endpoint, 'without embeddings');
      vectors = parsed.data.embeddings;
    }
    if (vectors.length !== texts.length || vectors.some((v) => v === undefined || v.length === 0)) {
      throw shapeError(config, endpoint, `with ${vectors.length} vectors for ${texts.length} texts`);
    }
    return vectors;
  };
}
