import { describe, expect, it } from 'vitest';
import { retryAfterMs, ServerUnavailable, withServerRetry } from './server-failure.ts';

describe('server failures', () => {
  it('reads Retry-After as seconds, as an HTTP date, and retry-after-ms', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });

  it('retries an unavailable server, then gives the last failure back as transient', async () => {
    let calls = 0;
    const signal = new AbortController().signal;
    const value = await withServerRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new ServerUnavailable('down', 503);
        return 'up';
      },
      { signal, waitMs: 5_000, baseMs: 1 },
    );
    expect(value).toBe('up');
    expect(calls).toBe(3);
    // Retry-After beyond the wait budget: no waiting, the error goes back to the queue with it.
    const late = withServerRetry(
      async () => {
        throw new ServerUnavailable('busy', 429, 60_000);
      },
      { signal, waitMs: 1_000 },
    );
    await expect(late).rejects.toMatchObject({ name: 'TransientError', retryAfterMs: 60_000 });
  });
});
