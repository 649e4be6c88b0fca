import { TransientError } from '@gavel/core';
import { z } from 'zod';

/** `/api/ps` as gavel reads it (extra fields are kept out). */
export const OllamaPs = z.object({
  models: z.array(
    z.object({
      name: z.string(),
      model: z.string().optional(),
      size_vram: z.number().optional(),
    }),
  ),
});
export type OllamaPs = z.infer<typeof OllamaPs>;

export interface OllamaController {
  /** Models loaded now (`GET /api/ps`). */
  loaded(signal: AbortSignal): Promise<OllamaPs['models']>;
  /** Asks Ollama to unload one model (`POST /api/generate { model, keep_alive: 0 }`). */
  unload(model: string, signal: AbortSignal): Promise<void>;
}

/** Talks to Ollama's native API; every call has a per-request deadline on top of `signal`. */
export function createOllamaController(options: { url: string; requestTimeoutMs?: number }): OllamaController {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const call = async (path: string, init: RequestInit, signal: AbortSignal): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        ...init,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (error) {
      signal.throwIfAborted();
      throw new TransientError(`Ollama ${path} at ${base} unreachable: ${(error as Error).message}`, { cause: error });
    }
    const text = await res.text();
    if (!res.ok) throw new TransientError(`Ollama ${path} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : {};
  };
  return {
    async loaded(signal) {
      const body = OllamaPs.parse(await call('/api/ps', { method: 'GET' }, signal));
      return body.models;
    },
    async unload(model, signal) {
      const body = (await call(
        '/api/generate',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, keep_alive: 0 }),
        },
        signal,
      )) as { done_reason?: string };
      if (body.done_reason !== 'unload') {
        throw new TransientError(
          `Ollama did not confirm unloading ${model} (done_reason ${JSON.stringify(body.done_reason)})`,
        );
      }
    },
  };
}
