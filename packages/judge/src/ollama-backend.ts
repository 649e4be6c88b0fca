import { ConfigError, TransientError } from '@gavel/core';
import { contextWindowProblem, minimumTokens } from './context-guard.ts';
import { endpointReply, OllamaChatReply } from './endpoint-reply.ts';
import { requestJson } from './http-json.ts';
import type { JudgeBackend, JudgeReply, JudgeRequest, PromptCount } from './judge-backend.ts';
import { withServerRetry } from './server-failure.ts';
import { ollamaMessages } from './wire-messages.ts';

export interface OllamaBackendOptions {
  /** Server root, e.g. `http://127.0.0.1:11434`. */
  url: string;
  model: string;
  contextTokens: number;
  requestTimeoutMs: number;
  startupWaitMs: number;
}

/** Ollama names `llama3` and `llama3:latest` the same model. */
function sameModel(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  const tag = (name: string): string => (name.includes(':') ? name : `${name}:latest`);
  return tag(a) === tag(b);
}

/**
 * Ollama through its native `/api/chat`, the only path where `options.num_ctx` is applied (the
 * OpenAI-compatible `/v1/chat/completions` ignores it and falls back to the server default, a
 * silent truncation). Structured output is requested with `format: <JSON schema>`.
 */
export function createOllamaBackend(options: OllamaBackendOptions): JudgeBackend {
  const server = `Ollama at ${options.url} (model ${options.model})`;
  const http = (signal: AbortSignal) => ({ signal, timeoutMs: options.requestTimeoutMs });
  let window = options.contextTokens;

  return {
    path: 'ollama',

    async checkContextWindow(signal) {
      let show: unknown;
      try {
        show = await withServerRetry(
          () => requestJson('POST', `${options.url}/api/show`, { model: options.model }, http(signal)),
          { signal, waitMs: options.startupWaitMs, capMs: 5_000 },
        );
      } catch (error) {
        throw new ConfigError(`${server}: /api/show failed (${(error as Error).message}); is the model pulled?`, {
          cause: error,
        });
      }
      const info = ((show as { model_info?: Record<string, unknown> }).model_info ?? {}) as Record<string, unknown>;
      const trainedKey = Object.keys(info).find((k) => k.endsWith('.context_length'));
      const trained = trainedKey ? info[trainedKey] : undefined;
      if (typeof trained === 'number' && trained < options.contextTokens) {
        throw new ConfigError(
          `${server}: the model's trained context (${trainedKey} = ${trained}) is below GAVEL_JUDGE_CONTEXT=${options.contextTokens}`,
        );
      }
      // Load the model with the window we need, then read the window Ollama actually allocated.
      await requestJson(
        'POST',
        `${options.url}/api/chat`,
        { model: options.model, messages: [], options: { num_ctx: options.contextTokens } },
        http(signal),
      );
      const ps = (await requestJson('GET', `${options.url}/api/ps`, undefined, http(signal))) as {
        models?: Array<Record<string, unknown>>;
      };
      const loaded = (ps.models ?? []).find(
        (m) => sameModel(m.name, options.model) || sameModel(m.model, options.model),
      );
      const allocated = typeof loaded?.context_length === 'number' ? loaded.context_length : undefined;
      const problem = contextWindowProblem(`${server} /api/ps context_length`, allocated, options.contextTokens);
      if (problem) throw new ConfigError(problem);
      window = allocated as number;
      return window;
    },

    async checkVision(signal) {
      const show = (await requestJson('POST', `${options.url}/api/show`, { model: options.model }, http(signal))) as {
        capabilities?: unknown;
      };
      const capabilities = Array.isArray(show.capabilities) ? show.capabilities.map(String) : [];
      if (!capabilities.includes('vision')) {
        throw new ConfigError(
          `${server}: the model does not accept images (/api/show capabilities: ${capabilities.join(', ') || 'none'}); set GAVEL_JUDGE_MODEL to a vision model, or unset GAVEL_JUDGE_VISION`,
        );
      }
    },

    async countPrompt(messages): Promise<PromptCount> {
      return { tokens: minimumTokens(messages), exact: false, window };
    },

    async complete(request: JudgeRequest, signal): Promise<JudgeReply> {
      const body = (await requestJson(
        'POST',
        `${options.url}/api/chat`,
        {
          model: options.model,
          messages: ollamaMessages(request.messages),
          stream: false,
          format: request.schema,
          options: {
            num_ctx: options.contextTokens,
            temperature: request.temperature,
            seed: request.seed,
            num_predict: request.maxOutputTokens,
          },
        },
        http(signal),
      )) as {
        prompt_eval_count?: unknown;
        eval_count?: unknown;
        prompt_eval_cached_count?: unknown;
        done_reason?: unknown;
      };
      const reply = endpointReply(OllamaChatReply, body, `${server}: POST /api/chat`);
      if (typeof body.prompt_eval_count !== 'number') {
        throw new TransientError(
          `${server}: /api/chat answered without prompt_eval_count, so truncation cannot be checked`,
        );
      }
      return {
        content: reply.message.content,
        promptTokens: body.prompt_eval_count,
        outputTokens: typeof body.eval_count === 'number' ? body.eval_count : 0,
        cachedTokens: typeof body.prompt_eval_cached_count === 'number' ? body.prompt_eval_cached_count : 0,
        finishReason: typeof body.done_reason === 'string' ? body.done_reason : undefined,
      };
    },
  };
}
