import { ConfigError, TransientError } from '@gavel/core';
import OpenAI from 'openai';
import { contextWindowProblem, minimumTokens } from './context-guard.ts';
import { ChatCompletionReply, endpointReply, VllmTokenizeReply } from './endpoint-reply.ts';
import { JsonText, requestJson } from './http-json.ts';
import type { JudgeBackend, JudgeReply, JudgeRequest, PromptCount } from './judge-backend.ts';
import { mapOpenAiError } from './openai-sdk-error.ts';
import { type ChatMessage, messageText } from './prompt-layout.ts';
import { withServerRetry } from './server-failure.ts';
import { openAiMessages } from './wire-messages.ts';

export interface VllmBackendOptions {
  /** Server root, e.g. `http://127.0.0.1:8000` (the OpenAI API is under `/v1`). */
  url: string;
  model: string;
  apiKey: string | undefined;
  contextTokens: number;
  requestTimeoutMs: number;
  startupWaitMs: number;
}

/** A 1×1 PNG: the start-up probe of whether the served model takes images. */
const PROBE_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** Distinct prompt prefixes (rubric texts) whose exact token count is kept. */
const PREFIX_COUNTS_KEPT = 64;

/**
 * vLLM's OpenAI-compatible server through the `openai` SDK (retries off: gavel's own backoff
 * honours Retry-After and waits while the server is down). Structured output is requested with
 * `response_format: json_schema`.
 *
 * Prompts are not counted one by one: vLLM refuses a prompt that does not fit its window (HTTP 400,
 * "maximum context length"), never cuts it, and reports the exact `usage.prompt_tokens` it processed.
 * A per-sample `/tokenize` round trip would only repeat that before every request. What is counted
 * is each distinct prompt prefix — the rubric's system message, the same for every sample of a run —
 * once, exactly, with `/tokenize`; a prompt's count is then that plus a lower bound on the rest
 * (`exact: false`), so a server or proxy that cuts prompts silently is still caught whenever the cut
 * reaches below that bound, and a prompt that cannot fit is refused before it is sent.
 */
export function createVllmBackend(options: VllmBackendOptions): JudgeBackend {
  const client = new OpenAI({
    baseURL: `${options.url}/v1`,
    apiKey: options.apiKey ?? 'EMPTY',
    maxRetries: 0,
    timeout: options.requestTimeoutMs,
  });
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const server = `vLLM at ${options.url} (model ${options.model})`;
  const prefixCounts = new Map<string, Promise<PromptCount>>();
  // The parts of a completion request that are the same for every sample of a run, serialised once:
  // the rubric's system message (kept per text, as the counts are) and the answer schema.
  const systemJson = new Map<string, string>();
  const schemaJson = new WeakMap<object, string>();

  /** The request body as JSON text: the same bytes JSON.stringify would give, less the re-serialising. */
  function completionBody(request: JudgeRequest): JsonText {
    const [first, ...rest] = request.messages;
    let messages: string;
    if (first?.role === 'system' && typeof first.content === 'string') {
      let head = systemJson.get(first.content);
      if (head === undefined) {
        head = JSON.stringify(openAiMessages([first])[0]);
        if (systemJson.size >= PREFIX_COUNTS_KEPT) systemJson.delete(systemJson.keys().next().value as string);
        systemJson.set(first.content, head);
      }
      messages = rest.length === 0 ? `[${head}]` : `[${head},${JSON.stringify(openAiMessages(rest)).slice(1)}`;
    } else messages = JSON.stringify(openAiMessages(request.messages));
    let schema = schemaJson.get(request.schema);
    if (schema === undefined) {
      schema = JSON.stringify(request.schema);
      schemaJson.set(request.schema, schema);
    }
    const scalars = JSON.stringify({
      model: options.model,
      temperature: request.temperature,
      seed: request.seed,
      max_tokens: request.maxOutputTokens,
    });
    return new JsonText(
      `${scalars.slice(0, -1)},"messages":${messages},"response_format":{"type":"json_schema","json_schema":{"name":"grader_answer","schema":${schema},"strict":true}}}`,
    );
  }

  async function tokenize(messages: ChatMessage[], generationPrompt: boolean, signal: AbortSignal) {
    const body = await requestJson(
      'POST',
      `${options.url}/tokenize`,
      { model: options.model, messages: openAiMessages(messages), add_generation_prompt: generationPrompt },
      { signal, timeoutMs: options.requestTimeoutMs, headers },
    );
    const { count, max_model_len } = endpointReply(VllmTokenizeReply, body, `${server}: POST /tokenize`);
    return { tokens: count, exact: true, window: max_model_len };
  }

  /**
   * The exact count of a prompt's leading system message, asked once per distinct text. The one
   * request is shared by every sample waiting on it, so no one sample's cancellation ends it (its
   * own timeout does).
   */
  function prefixCount(system: ChatMessage): Promise<PromptCount> {
    const text = messageText(system);
    let counted = prefixCounts.get(text);
    if (!counted) {
      counted = tokenize([system], false, new AbortController().signal);
      // A failed count is not kept: the next prompt with this prefix asks again.
      counted.catch(() => prefixCounts.delete(text));
      if (prefixCounts.size >= PREFIX_COUNTS_KEPT) prefixCounts.delete(prefixCounts.keys().next().value as string);
      prefixCounts.set(text, counted);
    }
    return counted;
  }

  return {
    path: 'vllm',

    async checkContextWindow(signal) {
      let models: Array<Record<string, unknown>>;
      try {
        models = await withServerRetry(
          async () => {
            try {
              const page = await client.models.list({ signal });
              return page.data as unknown as Array<Record<string, unknown>>;
            } catch (error) {
              return mapOpenAiError(error, signal, `GET ${options.url}/v1/models`);
            }
          },
          { signal, waitMs: options.startupWaitMs, capMs: 5_000 },
        );
      } catch (error) {
        if (error instanceof TransientError)
          throw new ConfigError(`${server}: not reachable (${error.message})`, { cause: error });
        throw error;
      }
      const card = models.find((m) => m.id === options.model);
      if (!card) {
        throw new ConfigError(
          `${server}: the server does not serve this model (it serves: ${models.map((m) => String(m.id)).join(', ') || 'nothing'}); set GAVEL_JUDGE_MODEL to the served name`,
        );
      }
      const window = typeof card.max_model_len === 'number' ? card.max_model_len : undefined;
      const problem = contextWindowProblem(`${server} /v1/models max_model_len`, window, options.contextTokens);
      if (problem) throw new ConfigError(problem);
      return window as number;
    },

    async checkVision(signal) {
      // One tiny image: a text-only model (or one served without room for images) answers 400.
      try {
        await client.chat.completions.create(
          {
            model: options.model,
            max_tokens: 1,
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'text', text: 'OK?' },
                  { type: 'image_url', image_url: { url: `data:image/png;base64,${PROBE_PNG}` } },
                ],
              },
            ],
          },
          { signal, timeout: options.requestTimeoutMs },
        );
      } catch (error) {
        if (error instanceof OpenAI.APIError && (error.status === 400 || error.status === 422)) {
          throw new ConfigError(
            `${server}: the served model does not accept images (${error.message}); serve a vision model with room for every image of a pair prompt, e.g. vllm serve MODEL --limit-mm-per-prompt '{"image": 4}', or unset GAVEL_JUDGE_VISION`,
            { cause: error },
          );
        }
        return mapOpenAiError(error, signal, `POST ${options.url}/v1/chat/completions (vision check)`);
      }
    },

    async countPrompt(messages: ChatMessage[], signal): Promise<PromptCount> {
      const [first, ...rest] = messages;
      if (first?.role !== 'system' || rest.length === 0) return tokenize(messages, true, signal);
      signal.throwIfAborted();
      const prefix = await prefixCount(first);
      return { tokens: prefix.tokens + minimumTokens(rest), exact: false, window: prefix.window };
    },

    async complete(request: JudgeRequest, signal): Promise<JudgeReply> {
      // Not through the SDK: at hundreds of requests a second its per-request work (and fetch's
      // streams under it) was most of the judge's CPU; requestJson maps statuses as mapOpenAiError does.
      const body = await requestJson('POST', `${options.url}/v1/chat/completions`, completionBody(request), {
        signal,
        timeoutMs: options.requestTimeoutMs,
        headers,
      });
      // Without usage the prompt cannot be checked for truncation: no vLLM answers so.
      const reply = endpointReply(ChatCompletionReply, body, `${server}: POST /v1/chat/completions`);
      const choice = reply.choices[0];
      const usage = reply.usage;
      return {
        content: choice?.message.content ?? '',
        promptTokens: usage.prompt_tokens,
        outputTokens: usage.completion_tokens,
        cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
        finishReason: choice?.finish_reason ?? undefined,
      };
    },
  };
}
