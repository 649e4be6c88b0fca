import { ConfigError, InputError, TransientError } from '@gavel/core';

type ApiErrorLike = { status?: number; message?: string; headers?: Headers | Record<string, string> };

const statusOf = (thrown: unknown): number | undefined => {
  const status = (thrown as ApiErrorLike | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
};

/** True when the API refused a request for its size (413 `request_too_large`): send it in smaller parts. */
export function isRequestTooLarge(thrown: unknown): boolean {
  return statusOf(thrown) === 413;
}

/**
 * Maps an API client error (Anthropic or OpenAI SDK: both carry `status` and `headers`) to a
 * gavel error: 401/403 are this worker's configuration (key, permissions), a
 * {@link ConfigError} that stops the worker with the job returned; other 4xx but 408/409/429 are
 * bad input; anything else is transient, honouring `retry-after`.
 */
export function errorFromApi(thrown: unknown, what: string): Error {
  const e = thrown as ApiErrorLike | undefined;
  const message = `${what}: ${e?.message ?? String(thrown)}`;
  const status = statusOf(thrown);
  if (status === 401 || status === 403) {
    const fix =
      status === 401
        ? 'check GAVEL_ARBITER_API_KEY (or ANTHROPIC_API_KEY)'
        : "the key lacks permission for this model or endpoint; check the key's workspace and GAVEL_ARBITER_MODEL";
    return new ConfigError(`${message} (HTTP ${status}: ${fix})`, { cause: thrown });
  }
  if (status !== undefined && status >= 400 && status < 500 && ![408, 409, 429].includes(status)) {
    return new InputError(message, { cause: thrown });
  }
  let retryAfterMs: number | undefined;
  const h = e?.headers;
  const raw = h instanceof Headers ? h.get('retry-after') : h?.['retry-after'];
  if (raw && Number.isFinite(Number(raw))) retryAfterMs = Number(raw) * 1000;
  return new TransientError(message, { cause: thrown, retryAfterMs });
}
