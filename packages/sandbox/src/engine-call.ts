import { TransientError } from '@gavel/core';

/**
 * Deadlines of Docker engine calls, in ms. A call that has not answered by its deadline is abandoned
 * (its request aborted) and fails as a {@link TransientError}, so a hung engine fails the job for a
 * retry instead of holding it for ever.
 */
export interface EngineDeadlines {
  /** create, attach, start, inspect, kill, list, image inspect. @default 30000 */
  callMs: number;
  /** remove (runs even after the job's signal aborted, on its own deadline). @default 30000 */
  removeMs: number;
  /** How long `wait` may outlive the wall-clock limit (the kill and the exit it causes). @default 30000 */
  waitGraceMs: number;
}

export const DEFAULT_ENGINE_DEADLINES: EngineDeadlines = { callMs: 30_000, removeMs: 30_000, waitGraceMs: 30_000 };

/**
 * Runs one engine call with an AbortSignal that fires at the deadline or when `signal` aborts (null:
 * the deadline alone). The call receives that signal (dockerode's `abortSignal` option aborts the HTTP
 * request) and is also raced against it, so a call that ignores the signal cannot outlive it either.
 * At the deadline → TransientError naming the call; on `signal`'s abort → its reason.
 */
export async function engineCall<T>(
  what: string,
  signal: AbortSignal | null,
  timeoutMs: number,
  call: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const reason = () =>
    signal?.aborted
      ? signal.reason
      : new TransientError(`Docker engine did not answer ${what} within ${timeoutMs} ms`, { retryAfterMs: 5000 });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(reason());
    combined.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([call(combined), aborted]);
  } catch (error) {
    if (combined.aborted) throw reason();
    throw error;
  } finally {
    if (onAbort) combined.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
  }
}
