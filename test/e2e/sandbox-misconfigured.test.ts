import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passFailCodeSamples, sandboxImage } from '../integration/sandbox-fixtures.ts';
import { gavel, jsonl, startWorkers } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { startStageProcess } from '../support/stage-process.ts';

// A sandbox worker that cannot produce the run's facts — no sandbox configured, or another image than
// the run pins — is misconfigured, not faced with bad samples: it stops (exit 78, one line) and returns
// the jobs unharmed; a right worker then finishes the run (issue 13, item 11).

const SAMPLES = 4;
let redis: RedisServer;
let dir: string;
let otherImage: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-sandbox-misconfigured-'));
  // An image with another digest: the sandbox image with one more label.
  otherImage = `gavel-sandbox:other-${process.pid}`;
  const created = execFileSync('docker', ['create', '--label', 'gavel=sandbox', sandboxImage()], {
    encoding: 'utf8',
  }).trim();
  execFileSync('docker', ['commit', '--change', 'LABEL gavel.test=other-digest', created, otherImage]);
  execFileSync('docker', ['rm', created]);
});

afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
  execFileSync('docker', ['rmi', '-f', otherImage]);
});

function env(over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'docker',
    GAVEL_SANDBOX_IMAGE: sandboxImage(),
    GAVEL_SANDBOX_CONCURRENCY: '2',
    GAVEL_JUDGE: 'facts',
    ...over,
  };
}

async function sandboxJobs() {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('sandbox', { connection, prefix: stageQueuePrefix('gavel', 'sandbox') });
  try {
    return {
      counts: await queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
      attempts: (await queue.getWaiting()).map((j) => j.attemptsMade),
    };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

async function expectStoppedUnharmed(runId: string, workerEnv: NodeJS.ProcessEnv, cause: RegExp): Promise<void> {
  const worker = startStageProcess('sandbox', workerEnv);
  const { code } = await worker.exited;
  expect(code, worker.stderr()).toBe(78);
  const lines = worker.stderr().trim().split('\n');
  expect(lines, worker.stderr()).toHaveLength(1);
  expect(lines[0]).toMatch(/^gavel worker-sandbox: /);
  expect(lines[0]).toMatch(cause);
  const status = await gavel(['status', runId, '--json'], env());
  expect(status.code, status.stderr).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ total: SAMPLES, failed: 0, verdicts: 0 });
  expect(await sandboxJobs()).toEqual({
    counts: { waiting: SAMPLES, active: 0, delayed: 0, failed: 0 },
    attempts: Array(SAMPLES).fill(0),
  });
}

describe('a misconfigured sandbox worker stops (exit 78) and leaves the run unharmed', () => {
  it('GAVEL_SANDBOX=none on code samples, then a worker with another image than the pin; a right worker finishes the run', async () => {
    const file = join(dir, 'code.jsonl');
    await writeFile(file, jsonl(passFailCodeSamples(SAMPLES) as never));
    const enq = await gavel(['enqueue', file, '--run', 'run-code'], env());
    expect(enq.code, enq.stderr).toBe(0);

    await expectStoppedUnharmed('run-code', env({ GAVEL_SANDBOX: 'none' }), /no sandbox configured on this worker/);
    await expectStoppedUnharmed(
      'run-code',
      env({ GAVEL_SANDBOX_IMAGE: otherImage }),
      /the run pins sandbox image gavel-sandbox:\w+ sha256:[0-9a-f]{64}, but this worker runs gavel-sandbox:other-\d+ sha256:/,
    );

    const workers = startWorkers(env());
    try {
      const waited = await gavel(['wait', 'run-code', '--timeout', '150'], env(), 170_000);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    } finally {
      await workers.stop();
    }
    const status = JSON.parse((await gavel(['status', 'run-code', '--json'], env())).stdout);
    expect(status).toMatchObject({ total: SAMPLES, failed: 0, verdicts: SAMPLES });
  });
});
