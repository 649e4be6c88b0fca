import { describe, expect, it } from 'vitest';
import { flushDecision, pollDelayMs } from './batch-policy.ts';

const base = { pending: 3, oldestAt: 1_000, now: 2_000, windowMs: 10_000, maxRequests: 100, judgeDrained: false };

describe('flushDecision', () => {
  it('waits out the rest of the window while the judge stage still runs', () => {
    expect(flushDecision(base)).toEqual({ flush: false, waitMs: 9_000 });
  });
  it('flushes at the size limit, when the window has passed, and when the judge stage has drained', () => {
    expect(flushDecision({ ...base, pending: 100 })).toEqual({ flush: true, reason: 'size' });
    expect(flushDecision({ ...base, now: 11_000 })).toEqual({ flush: true, reason: 'window' });
    expect(flushDecision({ ...base, judgeDrained: true })).toEqual({ flush: true, reason: 'drained' });
  });
  it('never flushes an empty batch', () => {
    expect(flushDecision({ ...base, pending: 0, judgeDrained: true }).flush).toBe(false);
  });
});

describe('pollDelayMs', () => {
  it('backs off by 1.5x per poll up to ten intervals', () => {
    expect(pollDelayMs(1_000, 0)).toBe(1_000);
    expect(pollDelayMs(1_000, 2)).toBe(2_250);
    expect(pollDelayMs(1_000, 50)).toBe(10_000);
  });
});
