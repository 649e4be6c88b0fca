import { ConfigError, type Logger, silentLogger, TransientError } from '@gavel/core';
import { InflightLimiter, mapOpenAiError, withServerRetry } from '@gavel/judge';
import OpenAI from 'openai';
import { z } from 'zod';
import type { SutConfig } from './sut-config.ts';
import type { SutMessage } from './sut-prompt.ts';

/** One completion request; `key` identifies it across retries (stored-completion metadata). */
export interface SutRequest {
  messages: SutMessage[];
  temperature: number;
  seed: number;
  maxTokens: number;
  key: string;
}

/** A chat completion as far as the generate stage reads it. */
export const SutReply = z.object({
  model: z.string(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() })
    .nullable()
    .optional(),
});
export type SutReply = z.infer<typeof SutReply>;

/** The metadata key a stored completion is found by (OpenAI: keys ≤ 64 characters, values ≤ 512). */
export const REQUEST_METADATA_KEY = 'gavel_request';

export interface SutClient {
  readonly model: string;
  readonly url: string;
  readonly limiter: InflightLimiter;
  /** The per-request deadline and the wait for an unavailable server (how long an answer may take). */
  readonly requestTimeoutMs: number;
  readonly waitMs: number;
  /** True when the server keeps completions sent with `store: true` and lists them by metadata. */
  readonly storesCompletions: boolean;
  /**
   * Sends the request; `beforeSend` runs inside the in-flight slot right before each HTTP attempt
   * (the generate stage records its intent there, so a request still waiting for a slot has none).
   */
  complete(request: SutRequest, signal: AbortSignal, beforeSend?: () => Promise<void>): Promise<SutReply>;
  /** The stored completion of an earlier request with `key`, if the server kept one. */
  findStored(key: string, signal: AbortSignal): Promise<SutReply | undefined>;
}

export interface SutClientOptions {
  logger?: Logger;
  /** Share one in-flight bound between clients of a process. */
  limiter?: InflightLimiter;
}

/**
 * The system under test behind any OpenAI-compatible endpoint, through the `openai` SDK with its
 * own retries off: the judge's backoff (Retry-After honoured, waits while the server is down) and
 * its in-flight bound are reused. At start it checks that the server serves the model (a
 * `ConfigError` otherwise) and whether it stores completions (`GET /v1/chat/completions`: OpenAI
 * does, vLLM and Ollama answer 404/405) — where it does, each request is sent with `store: true`
 * and its key as metadata, so a retry after a crash adopts the answer instead of asking again.
 */
export async function createSutClient(config: SutConfig, options: SutClientOptions = {}): Promise<SutClient> {
  const log = (options.logger ?? silentLogger).child({ sut: config.model });
  const client = new OpenAI({
    baseURL: `${config.url}/v1`,
    apiKey: config.apiKey ?? 'EMPTY',
    maxRetries: 0,
    timeout: config.requestTimeoutMs,
  });
  const limiter = options.limiter ?? new InflightLimiter(config.inflight);
  const server = `SUT at ${config.url} (model ${config.model})`;
  const send = <T>(
    call: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
    waitMs = config.waitMs,
  ): Promise<T> =>
    withServerRetry(() => limiter.run(() => call(signal), signal), {
      signal,
      waitMs,
      onRetry: (error, delayMs) => log.warn({ err: error, delayMs }, 'SUT server unavailable: waiting'),
    });

  const started = new AbortController();
  let served: string[];
  try {
    served = await send(
      async (signal) => {
        try {
          const page = await client.models.list({ signal });
          return page.data.map((m) => m.id);
        } catch (error) {
          return mapOpenAiError(error, signal, `GET ${config.url}/v1/models`);
        }
      },
      started.signal,
      config.startupWaitMs,
    );
  } catch (error) {
    if (error instanceof TransientError) throw new ConfigError(`${server}: not reachable (${error.message})`);
    throw error;
  }
  if (!served.includes(config.model)) {
    throw new ConfigError(
      `${server}: the server does not serve this model (it serves: ${served.join(', ') || 'nothing'}); set GAVEL_SUT_MODEL to the served name`,
    );
  }
  const storesCompletions = await probeStoredCompletions(client, started.signal, server);
  log.info({ url: config.url, storesCompletions, inflight: limiter.limit }, 'SUT server checked');

  const read = (body: unknown, what: string): SutReply => {
    const parsed = SutReply.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${server}: ${what} answered HTTP 200 with a body that is not a chat completion (${issue?.path.join('.') || 'body'}: ${issue?.message}); check GAVEL_SUT_URL`,
    );
  };

  return {
    model: config.model,
    url: config.url,
    limiter,
    requestTimeoutMs: config.requestTimeoutMs,
    waitMs: config.waitMs,
    storesCompletions,

    complete(request, signal, beforeSend) {
      return send(async (s) => {
        await beforeSend?.();
        try {
          const completion = await client.chat.completions.create(
            {
              model: config.model,
              messages: request.messages,
              temperature: request.temperature,
              seed: request.seed,
              max_tokens: request.maxTokens,
              n: 1,
              ...(storesCompletions ? { store: true, metadata: { [REQUEST_METADATA_KEY]: request.key } } : {}),
            },
            { signal: s, timeout: config.requestTimeoutMs },
          );
          return read(completion, 'POST /v1/chat/completions');
        } catch (error) {
          if (error instanceof ConfigError) throw error;
          return mapOpenAiError(error, s, `POST ${config.url}/v1/chat/completions`);
        }
      }, signal);
    },

    async findStored(key, signal) {
      if (!storesCompletions) return undefined;
      return send(async (s) => {
        try {
          const page = await client.chat.completions.list(
            { metadata: { [REQUEST_METADATA_KEY]: key }, limit: 1 },
            { signal: s, timeout: config.requestTimeoutMs },
          );
          const first = page.data[0];
          return first === undefined ? undefined : read(first, 'GET /v1/chat/completions');
        } catch (error) {
          if (error instanceof ConfigError) throw error;
          return mapOpenAiError(error, s, `GET ${config.url}/v1/chat/completions`);
        }
      }, signal);
    },
  };
}

/** Whether `GET /v1/chat/completions` lists stored completions (404/405: the server keeps none). */
async function probeStoredCompletions(client: OpenAI, signal: AbortSignal, server: string): Promise<boolean> {
  try {
    await client.chat.completions.list({ limit: 1 }, { signal });
    return true;
  } catch (error) {
    if (error instanceof OpenAI.APIError && (error.status === 404 || error.status === 405 || error.status === 400)) {
      return false;
    }
    throw new ConfigError(`${server}: GET /v1/chat/completions: ${(error as Error).message}`);
  }
}
