import { TransientError } from '@gavel/core';

/** The backoff type every gavel job uses; workers resolve it with {@link gavelBackoff}. */
export const GAVEL_BACKOFF = 'gavel';

/**
 * Exponential backoff with full jitter, never earlier than the remote side asked for
 * (`TransientError.retryAfterMs`, e.g. from a `Retry-After` header). Capped at 10 minutes.
 */
export function gavelBackoff(attemptsMade: number, baseMs: number, error: unknown, random = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), 600_000);
  const jittered = Math.round(exponential / 2 + random() * (exponential / 2));
  const floor = error instanceof TransientError && error.retryAfterMs !== undefined ? error.retryAfterMs : 0;
  return Math.max(jittered, floor);
}
