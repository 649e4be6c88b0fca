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
      GAVEL_LOG_LEVEL: 'debug',
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
    // The forced exit exits 143 too: only its line tells it apart.
    expect(code, output()).toBe(143);
    expect(output()).not.toContain('shutdown deadline passed: exiting');
    // Its own way out is one of two, by timing: BullMQ's close settles after the 1 s drain (with the
    // jobs aborted), or it does not within 3 s more and the worker disconnects. Either ends the shutdown.
    // The steps run newest first: the last one, closing the Redis connections, comes after the worker's.
    expect(output()).toMatch(/"handler":"worker".*"msg":"shutdown step"/);
    expect(output()).toMatch(/"handler":"redis".*"msg":"shutdown step"/);
  }, 120_000);
});
