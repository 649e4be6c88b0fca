import { InputError, TransientError } from '@gavel/core';
import OpenAI from 'openai';
import { isRetryableStatus, retryAfterMs, ServerUnavailable } from './server-failure.ts';

/**
 * Maps an `openai` SDK failure to gavel's typed errors: connection failures and retryable statuses
 * become {@link ServerUnavailable} (with the server's Retry-After), 400/422 an `InputError` (this
 * request is wrong), other statuses a `TransientError`. Shared by every OpenAI-compatible client
 * (the judge, the system under test).
 */
export function mapOpenAiError(error: unknown, signal: AbortSignal, what: string): never {
  if (signal.aborted) throw signal.reason;
  if (error instanceof OpenAI.APIConnectionError) {
    throw new ServerUnavailable(`${what}: ${error.message}`, undefined, undefined, { cause: error });
  }
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    const detail = `${what}: HTTP ${error.status} ${error.message}`;
    if (isRetryableStatus(error.status))
      throw new ServerUnavailable(detail, error.status, retryAfterMs(error.headers), { cause: error });
    if (error.status === 400 || error.status === 422) throw new InputError(detail, { cause: error });
    throw new TransientError(detail, { cause: error });
  }
  throw error;
}
