import { afterAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { type StageProcess, startStageProcess } from '../support/stage-process.ts';

// A stage worker whose Redis has gone stops on SIGTERM by its own shutdown, not by the forced exit
// at GAVEL_SHUTDOWN_TIMEOUT_S + 5 s: BullMQ's close waits for Redis to take the jobs back, which a
// dead Redis never does, so the worker disconnects instead (its jobs return as stalled).

let redis: RedisServer | undefined;
let worker: StageProcess | undefined;

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await redis?.stop();
});

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a stage worker with its Redis gone', () => {
  it('stops on SIGTERM through its own shutdown (exit 143), not the forced exit after the deadline', async () => {
    redis = await startRedis();
    const running = startStageProcess('sandbox', {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_SANDBOX: 'none',
      GAVEL_LOG_LEVEL: 'info',
      // The forced exit would come at 65 s: well after the worker's own way out.
      GAVEL_SHUTDOWN_TIMEOUT_S: '60',
    });
    worker = running;
    const output = () => running.stdout() + running.stderr();
    await until(() => output().includes('worker started'), 'the worker to start');
    await redis.stop();
    redis = undefined;
    await until(() => output().includes('Redis connection error'), 'the worker to see Redis gone');
    running.child.kill('SIGTERM');
    const { code } = await running.exited;
    expect(code, output()).toBe(143);
    expect(output()).toContain('the worker cannot close (Redis does not answer): disconnecting');
    expect(output()).not.toContain('shutdown deadline passed: exiting');
  }, 120_000);
});
