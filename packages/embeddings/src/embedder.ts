import { createHash } from 'node:crypto';
import { embeddingKey } from '@gavel/core';
import { cosine } from './cosine.ts';
import type { EmbedFn } from './embeddings-client.ts';

/** The Redis key of a text's cached vector: per model, by the sha256 of the text. */
export function embeddingCacheKey(prefix: string, model: string, text: string): string {
  const model64 = createHash('sha256').update(model).digest('hex').slice(0, 16);
  return embeddingKey(prefix, model64, createHash('sha256').update(text).digest('hex'));
}

/** The cache's Redis commands: single-key reads and writes (a Redis Cluster spreads the keys). */
export interface EmbeddingCacheRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
}

/** Vectors are cached as little-endian float64, base64: exact and a third the size of JSON. */
function encode(vector: readonly number[]): string {
  return Buffer.from(new Float64Array(vector).buffer).toString('base64');
}

function decode(raw: string): number[] {
  const bytes = Buffer.from(raw, 'base64');
  return Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8));
}

export interface EmbedderOptions {
  embed: EmbedFn;
  model: string;
  redis: EmbeddingCacheRedis;
  /** Key prefix (the run store's). */
  prefix: string;
  /** Texts per request. */
  batch: number;
  /** How long a request waits for more texts from concurrent samples. @default 5 */
  gatherMs?: number;
}

export interface Embedder {
  readonly model: string;
  /** The max cosine of the output to the references, each text embedded once (cached by content hash). */
  similarity(output: string, references: readonly string[], signal: AbortSignal): Promise<number>;
  /**
   * The cosine of the output to each of `others` (references, anchor answers), in their order: all
   * texts go in one gathering, each embedded once (cached by content hash).
   */
  similarities(output: string, others: readonly string[], signal: AbortSignal): Promise<number[]>;
  /** Embedding requests sent so far (batches, not texts). */
  readonly requests: number;
}

interface Waiting {
  text: string;
  resolve: (vector: number[]) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
}

/**
 * Embeds texts for the embedding-similarity fact: a cached vector (by model and content hash) is
 * read from Redis; the others are gathered from every sample in flight into requests of up to
 * `batch` texts (a text another sample in flight already asked for is not sent again), and cached
 * once they come back.
 */
export function createEmbedder(options: EmbedderOptions): Embedder {
  const queue: Waiting[] = [];
  let scheduled = false;
  let requests = 0;

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0) {
      const batch = new Map<string, Waiting[]>();
      while (queue.length > 0 && batch.size < options.batch) {
        const next = queue.shift() as Waiting;
        batch.set(next.text, [...(batch.get(next.text) ?? []), next]);
      }
      const texts = [...batch.keys()];
      const waiters = [...batch.values()].flat();
      const signal = AbortSignal.any(waiters.map((w) => w.signal));
      requests += 1;
      options.embed(texts, signal).then(
        async (vectors) => {
          await Promise.all(
            texts.map((text, i) =>
              options.redis.set(embeddingCacheKey(options.prefix, options.model, text), encode(vectors[i] as number[])),
            ),
          );
          texts.forEach((text, i) => {
            for (const w of batch.get(text) ?? []) w.resolve(vectors[i] as number[]);
          });
        },
        (error: unknown) => {
          for (const w of waiters) w.reject(error);
        },
      );
    }
  };

  // A text already on its way (another sample in flight has it), or just answered — a sample whose
  // cache read missed it a moment ago — is not asked for again. The most recent ones are kept.
  const inFlight = new Map<string, Promise<number[]>>();
  const KEEP = 1024;
  const vectorOf = (text: string, signal: AbortSignal): Promise<number[]> => {
    const pending = inFlight.get(text);
    if (pending) return pending;
    const asked = new Promise<number[]>((resolve, reject) => {
      queue.push({ text, resolve, reject, signal });
      if (queue.length >= options.batch) flush();
      else if (!scheduled) {
        scheduled = true;
        setTimeout(flush, options.gatherMs ?? 5);
      }
    });
    asked.catch(() => inFlight.delete(text));
    inFlight.set(text, asked);
    if (inFlight.size > KEEP) inFlight.delete(inFlight.keys().next().value as string);
    return asked;
  };

  const similarities = async (output: string, others: readonly string[], signal: AbortSignal): Promise<number[]> => {
    if (others.length === 0) throw new Error('embedding similarity: no texts to compare the output with');
    const texts = [output, ...others];
    const cached = await Promise.all(
      texts.map((t) => options.redis.get(embeddingCacheKey(options.prefix, options.model, t))),
    );
    const vectors = await Promise.all(
      texts.map((text, i) => {
        const hit = cached[i];
        return hit ? Promise.resolve(decode(hit)) : vectorOf(text, signal);
      }),
    );
    const [first, ...rest] = vectors;
    return rest.map((v) => cosine(first as number[], v));
  };

  return {
    model: options.model,
    get requests() {
      return requests;
    },
    similarities,
    async similarity(output, references, signal) {
      return Math.max(...(await similarities(output, references, signal)));
    },
  };
}
