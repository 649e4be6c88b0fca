import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { GAVEL_CLI, gavel, jsonl, ROOT, textSample } from '../support/gavel.ts';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let vllm: FakeVllm;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let dir: string;
let supervisor: ChildProcess | undefined;

beforeAll(async () => {
  redis = await startRedis();
  // Every judge request takes a while, so the jobs are still active when Ctrl-C comes.
  vllm = await startFakeVllm({ model: 'judge-model', latencyMs: 8_000 });
  receiver = await startOtlpReceiver();
  dir = await mkdtemp(join(tmpdir(), 'gavel-ctrl-c-'));
});

afterAll(async () => {
  if (supervisor?.pid && supervisor.exitCode === null && supervisor.signalCode === null) {
    process.kill(-supervisor.pid, 'SIGKILL');
  }
  await vllm.stop();
  await receiver.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

const SAMPLES = 6;
const RUN = 'run-ctrl-c';

describe('Ctrl-C on gavel workers', () => {
  it('drains: the active jobs finish, none is left to stall, their spans are exported, and it exits 130', async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: vllm.url,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
      GAVEL_SHUTDOWN_TIMEOUT_S: '120',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Spans leave only when the SDK flushes at shutdown: a span that ends after it is lost.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    };
    const file = join(dir, 'samples.jsonl');
    await writeFile(file, jsonl(Array.from({ length: SAMPLES }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', RUN], env)).code).toBe(0);

    // As a shell starts a foreground job: the supervisor leads its own process group.
    const child = spawn(process.execPath, [...GAVEL_CLI, 'workers', '--stages', 'sandbox,judge'], {
      env: { ...process.env, ...env },
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    supervisor = child;
    let output = '';
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const judge = new Queue('judge', { connection, prefix: stageQueuePrefix('gavel', 'judge') });
    try {
      // Every sample's judge request is at the server (and takes 8 s): all judge jobs are active.
      while (vllm.counts.completions < SAMPLES) await new Promise((r) => setTimeout(r, 50));
      expect(await judge.getActiveCount()).toBe(SAMPLES);

      // The terminal's Ctrl-C: SIGINT to the whole foreground process group.
      process.kill(-(child.pid as number), 'SIGINT');
      const [code, signal] = await exited;
      expect({ code, signal }, output).toEqual({ code: 130, signal: null });

      // The active jobs finished: every sample has its verdict, and no job was left active (to stall).
      expect(await judge.getJobCounts('active', 'waiting', 'delayed', 'failed')).toEqual({
        active: 0,
        waiting: 0,
        delayed: 0,
        failed: 0,
      });
    } finally {
      await judge.close();
      connection.disconnect();
    }
    const status = await gavel(['status', RUN, '--json'], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ total: SAMPLES, verdicts: SAMPLES, failed: 0 });
    expect(output).not.toMatch(/second signal/);

    // The drained jobs' spans reached the collector: one judge process span per sample.
    const judged = receiver.spans.filter(
      (s) =>
        s.service === 'gavel-worker-judge' && s.attributes['gavel.stage'] === 'judge' && s.name.startsWith('process'),
    );
    const seen = JSON.stringify([
      ...new Set(receiver.spans.map((s) => `${s.service}/${s.name}/${String(s.attributes['gavel.stage'])}`)),
    ]);
    expect(new Set(judged.map((s) => s.attributes['gavel.sample_id'])).size, seen).toBe(SAMPLES);
  });
});
