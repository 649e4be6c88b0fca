import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DurableRedis, durableRedis } from '../support/durable-redis.ts';
import { GAVEL_CLI, ROOT } from '../support/gavel.ts';
import { freePort } from '../support/redis.ts';

let dir: string;
let server: DurableRedis;
let board: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-board-restart-'));
  server = durableRedis(await freePort(), dir);
  await server.start();
});

afterAll(async () => {
  if (board && board.exitCode === null) {
    const exited = once(board, 'exit');
    board.kill('SIGTERM');
    await exited;
  }
  await server.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

/** `gavel board` on a free port; resolves with its URL once it listens. */
function startBoard(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, [...GAVEL_CLI, 'board', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  board = child;
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(/\{"board":"([^"]+)"\}/);
      if (m?.[1]) resolve(m[1]);
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`board exited ${code}: ${out}`)));
  });
}

async function queuesStatus(url: string): Promise<number> {
  try {
    return (await fetch(`${url}api/queues`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 0;
  }
}

describe('a long-lived process across a Redis restart', () => {
  it('Bull Board answers again once redis-server is back from a SIGKILL (its connection never gives up)', async () => {
    const url = await startBoard({ GAVEL_REDIS_URL: server.url, GAVEL_LOG_LEVEL: 'warn' });
    expect(await queuesStatus(url)).toBe(200);
    await server.kill('SIGKILL');
    // Long enough down that a connection which gives up after a few tries has given up.
    await sleep(3_000);
    await server.start();
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i += 1) {
      status = await queuesStatus(url);
      if (status !== 200) await sleep(500);
    }
    expect(status).toBe(200);
  });
});
