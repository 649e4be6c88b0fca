import { TransientError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { gavelBackoff } from './backoff.ts';

describe('retry backoff', () => {
  it('grows exponentially with jitter between half and the full step', () => {
    expect(gavelBackoff(1, 1000, new Error('x'), () => 0)).toBe(500);
    expect(gavelBackoff(1, 1000, new Error('x'), () => 1)).toBe(1000);
    expect(gavelBackoff(4, 1000, new Error('x'), () => 1)).toBe(8000);
  });
  it('never retries earlier than Retry-After asked', () => {
    const error = new TransientError('429', { retryAfterMs: 30_000 });
    expect(gavelBackoff(1, 1000, error, () => 0)).toBe(30_000);
  });
  it('caps a step at ten minutes', () => {
    expect(gavelBackoff(40, 1000, new Error('x'), () => 1)).toBe(600_000);
  });
});
