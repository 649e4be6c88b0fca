import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchClock } from './batch-clock.ts';

// The deadline counts the running batch's time only (from the server's last answer, or from the
// request that found it idle), never time queued behind other batches.

let now = 0;
let stuck: number[] = [];
const clock = () =>
  new BatchClock(
    100,
    (ran) => stuck.push(ran),
    () => now,
  );
const advance = (ms: number) => {
  now += ms;
  vi.advanceTimersByTime(ms);
};

beforeEach(() => {
  vi.useFakeTimers();
  now = 0;
  stuck = [];
});
afterEach(() => vi.useRealTimers());

describe('BatchClock', () => {
  it('ten batches of 90 ms each behind one another: 900 ms queued for the last, never stuck at a 100 ms deadline', () => {
    const c = clock();
    for (let i = 0; i < 10; i++) c.sent(`r${i}`);
    for (let i = 0; i < 10; i++) {
      advance(90);
      c.answered(`r${i}`);
    }
    expect(now).toBe(900);
    expect(stuck).toEqual([]);
    expect(c.pending).toBe(0);
  });

  it('a batch that runs past the deadline is stuck once, with the time it ran', () => {
    const c = clock();
    c.sent('a');
    c.sent('b');
    advance(60);
    c.answered('a');
    // b's batch started at 60: 99 ms later it is not stuck, at 100 it is (160 ms after b was sent).
    advance(99);
    expect(stuck).toEqual([]);
    advance(1);
    expect(stuck).toEqual([100]);
    advance(500);
    expect(stuck).toEqual([100]);
  });

  it('idle time does not count: a request sent to an idle server starts the clock then', () => {
    const c = clock();
    c.sent('a');
    advance(50);
    c.answered('a');
    advance(1000);
    c.sent('b');
    advance(99);
    expect(stuck).toEqual([]);
    advance(1);
    expect(stuck).toEqual([100]);
  });

  it('an answer naming no request is progress; reset forgets what was outstanding', () => {
    const c = clock();
    c.sent('a');
    advance(80);
    c.answered(null);
    advance(80);
    expect(stuck).toEqual([]);
    c.reset();
    expect(c.pending).toBe(0);
    advance(1000);
    expect(stuck).toEqual([]);
  });
});
