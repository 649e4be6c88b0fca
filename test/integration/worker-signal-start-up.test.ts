import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { startStageProcess } from '../support/stage-process.ts';
import { gavelContainers, sandboxImage } from './sandbox-fixtures.ts';

// A SIGTERM that reaches a stage worker while it is still starting (its Redis connected, its stage's
// parts being built) used to run only the shutdown steps registered so far: the sandbox, built a
// moment later, was never closed (its containers outlived the process), and a worker started after
// Redis was closed could take jobs no one returned. The signal is sent at a point the test sees: the
// sandbox's lease container exists, so the sandbox is being built and the worker has not started.

let redis: RedisServer;
let client: Redis;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'gavel-signal-start-up-'));
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a stage worker signalled during start-up', () => {
  it('SIGTERM while its sandbox is being built: it closes the sandbox and the worker, leaving no container and no active job', async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'debug',
      GAVEL_SANDBOX: 'docker',
      GAVEL_SANDBOX_IMAGE: sandboxImage(),
      GAVEL_SANDBOX_CONCURRENCY: '2',
      GAVEL_CONCURRENCY: '8',
      GAVEL_JUDGE: 'facts',
    };
    const total = 200;
    const file = join(dir, 'text.jsonl');
    await writeFile(file, jsonl(Array.from({ length: total }, (_, i) => textSample(i))));
    const enq = await gavel(['enqueue', file, '--run', 'run-start-up'], env);
    expect(enq.code, enq.stderr).toBe(0);

    const worker = startStageProcess('sandbox', env);
    const pid = worker.child.pid as number;
    let stopped: { code: number | null; signal: NodeJS.Signals | null };
    try {
      const deadline = Date.now() + 60_000;
      while (!gavelContainers(pid).some((name) => name.startsWith('gavel-lease-'))) {
        expect(worker.child.exitCode, worker.stderr()).toBeNull();
        if (Date.now() > deadline) throw new Error(`no lease container in 60 s\n${worker.stdout()}`);
        await sleep(20);
      }
      // Not started yet: the worker logs this once its sandbox is built and its worker runs.
      expect(worker.stdout()).not.toMatch(/"msg":"worker started"/);
      stopped = await worker.stop('SIGTERM');
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    }
    const log = `${worker.stdout()}\n${worker.stderr()}`;
    // Its process is gone: what it left is removed here, so that a failure leaves nothing behind either.
    const left = gavelContainers(pid);
    if (left.length > 0) execFileSync('docker', ['rm', '-f', ...left]);
    // Its own shutdown ended it (128 + 15), not the signal's default action or the forced exit.
    expect(stopped.code, log).toBe(143);
    expect(log).not.toMatch(/shutdown deadline passed/);
    expect(left, log).toEqual([]);
    expect(log).toMatch(/"handler":"sandbox","msg":"shutdown step"/);
    expect(log).toMatch(/"handler":"worker","msg":"shutdown step"/);
    const queue = new Queue('sandbox', { connection: client, prefix: stageQueuePrefix('gavel', 'sandbox') });
    try {
      expect(await queue.getActiveCount()).toBe(0);
      // Every job is either done or still waiting for a worker: none is lost or held.
      const {
        waiting = 0,
        completed = 0,
        delayed = 0,
        failed = 0,
      } = await queue.getJobCounts('waiting', 'completed', 'delayed', 'failed');
      expect(failed).toBe(0);
      expect(waiting + completed + delayed).toBe(total);
    } finally {
      await queue.close();
    }
  });
});
