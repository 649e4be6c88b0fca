import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Stage, stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GAVEL_CLI, gavel, jsonl, ROOT, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let dir: string;
let board: { url: URL; child: ChildProcess };

const env = () => ({
  GAVEL_REDIS_URL: redis.url,
  GAVEL_LOG_LEVEL: 'warn',
  GAVEL_SANDBOX: 'none',
  GAVEL_JUDGE: 'facts',
  GAVEL_ATTEMPTS: '1',
});

async function startBoard(extra: NodeJS.ProcessEnv = {}): Promise<{ url: URL; child: ChildProcess }> {
  const child = spawn(process.execPath, [...GAVEL_CLI, 'board', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env(), ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(/\{"board":"([^"]+)"\}/);
      if (m?.[1]) resolve({ url: new URL(m[1]), child });
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`board exited ${code}: ${out}`)));
  });
}

/** One HTTP request to the board with the Host header a browser would send for `host`. */
function send(method: string, path: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: board.url.hostname,
        port: board.url.port,
        method,
        path,
        headers: { host: host ?? board.url.host, 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : '{}');
  });
}

async function withQueue<T>(name: Stage, use: (q: Queue) => Promise<T>): Promise<T> {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, prefix: stageQueuePrefix('gavel', name) });
  try {
    return await use(queue);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-board-guards-'));
  // One sample the facts-only judge cannot grade (no reference: a failed judge job to retry), two waiting.
  const failing = join(dir, 'failing.jsonl');
  await writeFile(failing, jsonl([textSample(0, { reference: undefined })]));
  expect((await gavel(['enqueue', failing, '--run', 'run-failing'], env())).code).toBe(0);
  const workers = startWorkers(env(), ['--stages', 'sandbox,judge']);
  try {
    for (;;) {
      if ((await withQueue('judge', (q) => q.getFailedCount())) === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await workers.stop();
  }
  const waiting = join(dir, 'waiting.jsonl');
  await writeFile(waiting, jsonl([textSample(1), textSample(2)]));
  expect((await gavel(['enqueue', waiting, '--run', 'run-waiting'], env())).code).toBe(0);
  board = await startBoard();
});

afterAll(async () => {
  board?.child.kill('SIGTERM');
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('gavel board on loopback without credentials', () => {
  it('answers only to loopback Host names (a DNS-rebinding page gets 403)', async () => {
    const port = board.url.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost']) {
      expect((await send('GET', '/api/queues', host)).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, 'localhost.evil.example']) {
      expect((await send('GET', '/api/queues', host)).status, host).toBe(403);
      expect((await send('PUT', '/api/queues/judge/retry/failed', host)).status, host).toBe(403);
    }
    // HTTP/1.0 without any Host header
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), board.url.hostname, () => socket.end('GET /api/queues HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (c: Buffer) => {
        text += c.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw.split('\r\n')[0]).toMatch(/^HTTP\/1\.[01] 403 /);
  });

  it('refuses the actions that strand samples, in any spelling, and leaves the jobs in place', async () => {
    const [job] = await withQueue('sandbox', (q) => q.getWaiting());
    const id = encodeURIComponent(job?.id ?? '');
    const refused = [
      ['PUT', '/api/queues/sandbox/empty'],
      ['PUT', '/api/queues/sandbox/obliterate'],
      ['PUT', '/api/queues/sandbox/clean/waiting'],
      ['PUT', '/api/queues/judge/clean/failed'],
      ['PUT', `/api/queues/sandbox/${id}/clean`],
      ['PUT', '/API/Queues/sandbox/EMPTY/'],
      ['POST', '/api/queues/sandbox/add'],
      ['PATCH', `/api/queues/sandbox/${id}/update-data`],
    ] as const;
    for (const [method, path] of refused) {
      const res = await send(method, path);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toMatch(/strands samples/);
    }
    expect(await withQueue('sandbox', (q) => q.getWaitingCount())).toBe(2);
    expect(await withQueue('judge', (q) => q.getFailedCount())).toBe(1);
  });

  it('still retries a failed job', async () => {
    const [failed] = await withQueue('judge', (q) => q.getFailed());
    const res = await send('PUT', `/api/queues/judge/${encodeURIComponent(failed?.id ?? '')}/retry`);
    expect(res.status, res.body).toBeLessThan(300);
    expect(await withQueue('judge', (q) => q.getJobCounts('failed', 'waiting'))).toEqual({ failed: 0, waiting: 1 });
  });
});
