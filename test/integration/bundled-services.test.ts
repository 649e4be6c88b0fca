import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { STAGES } from '@gavel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { COMPILED_GAVEL_CLI, ROOT } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// The HTTP services as the bundled `gavel` starts them (apps/<app>/bundle/main.js, plain Node): what
// the bundle keeps external must still be found — Bull Board's UI and static files, served from its
// package directory — and what the API reads at start (the shipped HumanEval problems, the rubrics).

const run = promisify(execFile);
let redis: RedisServer;

beforeAll(async () => {
  await run('npm', ['run', '--silent', 'build'], { cwd: ROOT, timeout: 300_000 });
  redis = await startRedis();
}, 320_000);

afterAll(async () => {
  await redis?.stop();
});

const plainEnv = (): NodeJS.ProcessEnv => {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  return { ...env, GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_METRICS_PORT: '0' };
};

async function startBoard(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...COMPILED_GAVEL_CLI, 'board', '--port', '0'], {
    env: plainEnv(),
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
      const match = /\{"board":"(http:\/\/[^"]+\/)"/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`gavel board exited ${code} before listening:\n${output}`)));
  });
  return { url, child };
}

describe('the bundled services', () => {
  it("`gavel board` serves Bull Board's page, its static files and every stage's queue", async () => {
    const board = await startBoard();
    try {
      const page = await fetch(board.url);
      expect(page.status).toBe(200);
      const html = await page.text();
      const scripts = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)].map((m) => m[1] as string);
      expect(scripts.length).toBeGreaterThan(0);
      for (const src of scripts) {
        const file = await fetch(new URL(src, board.url));
        expect(file.status, src).toBe(200);
        expect((await file.arrayBuffer()).byteLength, src).toBeGreaterThan(0);
      }
      const queues = (await (await fetch(new URL('api/queues', board.url))).json()) as { queues: { name: string }[] };
      expect(queues.queues.map((q) => q.name).sort()).toEqual([...STAGES].sort());
    } finally {
      const exited = once(board.child, 'exit');
      board.child.kill('SIGTERM');
      await exited;
    }
  });

  it('`gavel serve` starts the API (problems and rubrics read at start) and answers /healthz and /openapi.json', async () => {
    let api: ApiServer | undefined;
    try {
      api = await startApi(plainEnv(), [], COMPILED_GAVEL_CLI);
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
      const spec = (await (await fetch(`${api.url}/openapi.json`)).json()) as { openapi: string; paths: object };
      expect(spec.openapi).toMatch(/^3\.1/);
      expect(Object.keys(spec.paths).length).toBeGreaterThan(0);
    } finally {
      await api?.stop();
    }
  });
});
