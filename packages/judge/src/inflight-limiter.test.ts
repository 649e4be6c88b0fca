import { setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InflightLimiter } from './inflight-limiter.ts';

describe('in-flight limiter', () => {
  it('never runs more than its limit at once and runs everything', async () => {
    const limiter = new InflightLimiter(3);
    let running = 0;
    let most = 0;
    const signal = new AbortController().signal;
    setMaxListeners(32, signal);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 1));
          running -= 1;
          return i;
        }, signal),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(3);
    expect(limiter.peak).toBe(3);
    expect(limiter.active).toBe(0);
  });

  it('lets an aborted waiter leave the line without taking a slot', async () => {
    const limiter = new InflightLimiter(1);
    let release: () => void = () => {};
    const holder = limiter.run(() => new Promise<void>((r) => (release = r)), new AbortController().signal);
    const controller = new AbortController();
    const waiter = limiter.run(async () => 'ran', controller.signal);
    controller.abort(new Error('job cancelled'));
    await expect(waiter).rejects.toThrow('job cancelled');
    release();
    await holder;
    expect(limiter.active).toBe(0);
    await expect(limiter.run(async () => 'next', new AbortController().signal)).resolves.toBe('next');
  });
});
