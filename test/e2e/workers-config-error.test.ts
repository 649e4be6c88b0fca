import { once } from 'node:events';
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

// `gavel workers` does not restart a worker that stopped on a configuration error (exit 78): a
// restart would take the same job, stop again, and loop. The other stages stay up (a Ctrl-C stops
// them as usual); when every worker stopped so, `gavel workers` exits 78 itself (issue 13, item 11).

const SAMPLES = 3;
let redis: RedisServer;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-workers-config-error-'));
});

afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

function env(over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'docker',
    GAVEL_SANDBOX_IMAGE: sandboxImage(),
    GAVEL_JUDGE: 'facts',
    ...over,
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sandboxCounts() {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('sandbox', { connection, prefix: stageQueuePrefix('gavel', 'sandbox') });
  try {
    return await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

describe('gavel workers and a worker stopped on a configuration error', () => {
  it('does not restart it, keeps the other stages up, and exits 78 once every worker stopped so', async () => {
    const code = join(dir, 'code.jsonl');
    await writeFile(code, jsonl(passFailCodeSamples(SAMPLES) as never));
    expect((await gavel(['enqueue', code, '--run', 'run-code'], env())).code).toBe(0);

    // A sandbox without Docker beside a judge: the sandbox worker stops on the first code sample.
    const both = startWorkers(env({ GAVEL_SANDBOX: 'none' }), ['--stages', 'sandbox,judge']);
    try {
      await until(
        () => /worker-sandbox stopped: configuration error/.test(both.output()),
        'the sandbox worker to stop',
      );
      expect(both.child.exitCode).toBeNull();
      const output = both.output();
      expect(output.match(/worker-sandbox started/g)).toHaveLength(1);
      expect(output).not.toMatch(/worker-sandbox .*restarting/);
      expect(output).toMatch(/no sandbox configured on this worker/);
    } finally {
      expect(await both.stop()).toEqual({ code: 143, signal: null });
    }
    const status = JSON.parse((await gavel(['status', 'run-code', '--json'], env())).stdout);
    expect(status).toMatchObject({ total: SAMPLES, failed: 0, verdicts: 0 });
    expect(await sandboxCounts()).toMatchObject({ failed: 0, completed: 0, active: 0 });

    // Only misconfigured workers: gavel workers itself stops with 78.
    const alone = startWorkers(env({ GAVEL_SANDBOX: 'none' }), ['--stages', 'sandbox']);
    const [exit] = (await once(alone.child, 'exit')) as [number | null];
    expect(exit, alone.output()).toBe(78);
    expect(alone.output()).toMatch(/every worker stopped on a configuration error/);
    expect(alone.output().match(/worker-sandbox started/g)).toHaveLength(1);
  });
});
