import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DurableRedis, durableRedis } from '../support/durable-redis.ts';
import { gavel, ROOT, SOURCE_NODE_ARGS } from '../support/gavel.ts';
import { freePort } from '../support/redis.ts';

const PASSWORD = 'pw-9f3c1e77-do-not-print';
let dir: string;
let server: DurableRedis;
let url: string;
let deadUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-redaction-'));
  server = durableRedis(await freePort(), dir, ['--requirepass', PASSWORD]);
  await server.start();
  url = `redis://default:${PASSWORD}@127.0.0.1:${server.port}`;
  // Nothing listens there: every process has to say it cannot reach Redis, and where.
  deadUrl = `redis://default:${PASSWORD}@127.0.0.1:${await freePort()}`;
});

afterAll(async () => {
  await server.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

/** Runs an app's main as `gavel workers` does; stops it with SIGTERM after `runMs` if still up. */
async function runMain(app: string, env: NodeJS.ProcessEnv, runMs: number) {
  const child = spawn(process.execPath, [...SOURCE_NODE_ARGS, join(ROOT, 'apps', app, 'src', 'main.ts')], {
    env: { ...process.env, ...env },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => child.kill('SIGTERM'), runMs);
  const [code] = await exited;
  clearTimeout(timer);
  return { code, output };
}

describe('a password in GAVEL_REDIS_URL is never printed', () => {
  it('gavel doctor shows the URL with the password redacted, reachable or not', async () => {
    const up = await gavel(['doctor'], { GAVEL_REDIS_URL: url });
    expect(up.stdout).toContain(`redis://default:[redacted]@127.0.0.1:${server.port} reachable`);
    const down = await gavel(['doctor'], { GAVEL_REDIS_URL: deadUrl });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/redis:\/\/default:\[redacted\]@127\.0\.0\.1:\d+ unreachable/);
    for (const result of [up, down]) expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('a stage worker that cannot reach Redis stops (exit 78) naming the URL without its password', async () => {
    const result = await runMain('worker-sandbox', { GAVEL_REDIS_URL: deadUrl, GAVEL_SANDBOX: 'none' }, 60_000);
    expect(result.code, result.output).toBe(78);
    expect(result.output).toMatch(/cannot reach Redis at redis:\/\/default:\[redacted\]@127\.0\.0\.1:\d+/);
    expect(result.output).not.toContain(PASSWORD);
  });

  it('a stage worker on the password-protected Redis runs and never prints the password', async () => {
    const result = await runMain(
      'worker-sandbox',
      { GAVEL_REDIS_URL: url, GAVEL_SANDBOX: 'none', GAVEL_LOG_LEVEL: 'debug' },
      4_000,
    );
    expect(result.output).toMatch(/worker started/);
    expect(result.output).not.toContain(PASSWORD);
  });

  it('the gpu-agent that cannot reach Redis stops (exit 78) naming the URL without its password', async () => {
    const result = await runMain('gpu-agent', { GAVEL_REDIS_URL: deadUrl }, 60_000);
    expect(result.code, result.output).toBe(78);
    expect(result.output).toMatch(/cannot reach Redis at redis:\/\/default:\[redacted\]@127\.0\.0\.1:\d+/);
    expect(result.output).not.toContain(PASSWORD);
  });

  it('a CLI command that cannot reach Redis prints one line naming the URL without its password, no stack', async () => {
    for (const args of [['status', 'r-1'], ['runs'], ['report', 'r-1']]) {
      const result = await gavel(args, { GAVEL_REDIS_URL: deadUrl });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^gavel: cannot reach Redis at redis:\/\/default:\[redacted\]@127\.0\.0\.1:\d+ \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); start it or set GAVEL_REDIS_URL/,
      );
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    }
  });
});
