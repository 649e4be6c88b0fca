import { TransientError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { engineCall } from './engine-call.ts';

const never = () => new Promise<never>(() => {});

describe('engineCall', () => {
  it('a call that never answers fails at its deadline as a TransientError naming it, and its signal is aborted', async () => {
    let seen: AbortSignal | undefined;
    const p = engineCall('create', null, 20, (s) => {
      seen = s;
      return never();
    });
    await expect(p).rejects.toBeInstanceOf(TransientError);
    await expect(p).rejects.toThrow('Docker engine did not answer create within 20 ms');
    expect(seen?.aborted).toBe(true);
  });

  it("the caller's abort wins with its own reason", async () => {
    const controller = new AbortController();
    const p = engineCall('start', controller.signal, 60_000, () => never());
    controller.abort(new Error('shutting down'));
    await expect(p).rejects.toThrow('shutting down');
  });

  it("an answer or the engine's own error passes through", async () => {
    await expect(engineCall('inspect', null, 60_000, async () => 7)).resolves.toBe(7);
    const refused = Object.assign(new Error('no such container'), { statusCode: 404 });
    await expect(engineCall('inspect', null, 60_000, async () => Promise.reject(refused))).rejects.toBe(refused);
  });
});
