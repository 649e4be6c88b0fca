import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passFailCodeSamples, sandboxImage } from '../integration/sandbox-fixtures.ts';
import { type HungDockerEngine, startHungDockerEngine } from '../support/docker-proxy.ts';
import { gavel, jsonl } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { startStageProcess } from '../support/stage-process.ts';

// A real sandbox worker whose Docker engine hangs on every sample's container: the job fails as
// transient within GAVEL_DOCKER_TIMEOUT_S and is retried, instead of staying active for ever
// (issue 13, item 13). The hung engine is our own socket in front of the real one.

let redis: RedisServer;
let hung: HungDockerEngine;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  hung = await startHungDockerEngine(/^POST \S*\/containers\/create\?name=gavel-exec-/);
  dir = await mkdtemp(join(tmpdir(), 'gavel-hung-engine-'));
});

afterAll(async () => {
  await hung?.stop();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({
  GAVEL_REDIS_URL: redis.url,
  GAVEL_LOG_LEVEL: 'warn',
  GAVEL_SANDBOX: 'docker',
  GAVEL_SANDBOX_IMAGE: sandboxImage(),
  GAVEL_JUDGE: 'facts',
});

describe('worker-sandbox against a hung Docker engine', () => {
  it("the sample's job fails as transient, naming the call and its deadline, and is retried", async () => {
    const file = join(dir, 'code.jsonl');
    await writeFile(file, jsonl(passFailCodeSamples(1) as never));
    const enq = await gavel(['enqueue', file, '--run', 'run-hung'], env());
    expect(enq.code, enq.stderr).toBe(0);
    const worker = startStageProcess('sandbox', { ...env(), GAVEL_DOCKER_HOST: hung.url, GAVEL_DOCKER_TIMEOUT_S: '2' });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('sandbox', { connection, prefix: stageQueuePrefix('gavel', 'sandbox') });
    try {
      // Two attempts have failed: the first did not hang for ever, and its failure was a retry, not the end.
      let job = await queue.getJob('run-hung~code-0');
      while (!job || job.attemptsMade < 2) {
        expect(worker.child.exitCode, worker.stderr()).toBeNull();
        await new Promise((r) => setTimeout(r, 200));
        job = await queue.getJob('run-hung~code-0');
      }
      expect(job.failedReason).toMatch(/Docker engine did not answer create within 2000 ms/);
      expect(hung.swallowed.length).toBeGreaterThanOrEqual(2);
      const status = await gavel(['status', 'run-hung', '--json'], env());
      expect(JSON.parse(status.stdout)).toMatchObject({ total: 1, failed: 0, verdicts: 0 });
    } finally {
      await queue.close();
      connection.disconnect();
      // It stops (drains) although its engine still hangs: no job waits on the engine for ever.
      const stopped = await worker.stop();
      expect(stopped.signal, worker.stderr()).toBeNull();
    }
  });
});
