import { InputError, TransientError } from '@gavel/core';

/**
 * Maps an API client error (Anthropic or OpenAI SDK: both carry `status` and `headers`) to a
 * gavel error: 4xx other than 408/409/429 is bad input; anything else is transient, honouring
 * `retry-after`.
 */
export function transientFromApi(thrown: unknown, what: string): Error {
  const e = thrown as { status?: number; message?: string; headers?: Headers | Record<string, string> };
  const message = `${what}: ${e?.message ?? String(thrown)}`;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  if (status !== undefined && status >= 400 && status < 500 && ![408, 409, 429].includes(status)) {
    return new InputError(message, { cause: thrown });
  }
  let retryAfterMs: number | undefined;
  const h = e?.headers;
  const raw = h instanceof Headers ? h.get('retry-after') : h?.['retry-after'];
  if (raw && Number.isFinite(Number(raw))) retryAfterMs = Number(raw) * 1000;
  return new TransientError(message, { cause: thrown, retryAfterMs });
}
