import { TransientError } from '@gavel/core';

/** A failed judge request the server may answer next time (connection, 408, 409, 429, 5xx). */
export class ServerUnavailable extends TransientError {
  constructor(
    message: string,
    readonly status: number | undefined,
    retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, retryAfterMs });
  }
}

/** HTTP statuses worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in milliseconds. */
export function retryAfterMs(headers: Pick<Headers, 'get'> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Waits out transient server failures: exponential backoff with full jitter, never sooner than
 * the server's Retry-After, for at most `waitMs` in all; then the last failure is thrown as a
 * `TransientError` (so the job is retried later rather than failed). Aborts with `signal`.
 */
export async function withServerRetry<T>(
  attempt: () => Promise<T>,
  options: {
    signal: AbortSignal;
    waitMs: number;
    baseMs?: number;
    capMs?: number;
    onRetry?: (error: ServerUnavailable, delayMs: number) => void;
  },
): Promise<T> {
  const base = options.baseMs ?? 250;
  const cap = options.capMs ?? 15_000;
  const started = Date.now();
  for (let n = 0; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ServerUnavailable)) throw error;
      const exponential = Math.min(cap, base * 2 ** n);
      const delay = Math.max(Math.round(Math.random() * exponential), error.retryAfterMs ?? 0);
      if (Date.now() - started + delay > options.waitMs) throw error;
      options.onRetry?.(error, delay);
      await sleep(delay, options.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
