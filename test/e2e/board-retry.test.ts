import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageQueuePrefix } from '@gavel/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { GAVEL_CLI, gavel, jsonl, ROOT, startWorkers, textSample } from '../support/gavel.ts';
import { freePort, type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let client: Redis;
let dir: string;
const ARTIFACTS = join(ROOT, 'test', 'e2e', 'artifacts');

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'gavel-board-'));
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function startBoard(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  // through the CLI entry users run (`gavel board`), which runs apps/board in its own process
  const child = spawn(process.execPath, [...GAVEL_CLI, 'board'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(/\{"board":"([^"]+)"\}/);
      if (m?.[1]) resolve({ url: m[1], child });
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`board exited ${code}: ${out}`)));
  });
}

describe('Bull Board in headless Chromium', () => {
  it('refuses unauthenticated access; a failed judge job retried from the UI reaches a final verdict', async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_SANDBOX: 'none',
      GAVEL_JUDGE: 'facts',
      GAVEL_ATTEMPTS: '1',
    };
    const file = join(dir, 'run.jsonl');
    await writeFile(file, jsonl([textSample(0)]));
    expect((await gavel(['enqueue', file, '--run', 'board-run'], env)).code).toBe(0);
    // The judge cannot read the run's rubric (its frozen text is gone from Redis): the judge job fails for real.
    const [rubricKey] = await client.keys('*:rubric:*');
    expect(rubricKey).toBeDefined();
    const rubricText = (await client.get(rubricKey as string)) as string;
    await client.del(rubricKey as string);
    const workers = startWorkers(env);
    const credentials = { username: 'ops', password: 'correct horse battery staple' };
    const board = await startBoard({
      ...env,
      GAVEL_BOARD_PORT: String(await freePort()),
      GAVEL_BOARD_USER: credentials.username,
      GAVEL_BOARD_PASSWORD: credentials.password,
    });
    const browser = await launchChromium({ httpCredentials: credentials });
    try {
      expect((await fetch(board.url)).status).toBe(401);
      expect((await fetch(`${board.url}api/queues`)).status).toBe(401);
      for (
        let i = 0;
        i < 240 &&
        (await client.zcard('bull:judge:failed')) +
          (await client.zcard(`${stageQueuePrefix('gavel', 'judge')}:judge:failed`)) ===
          0;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 250));
      }
      await client.set(rubricKey as string, rubricText);
      const page = await browser.context.newPage();
      await page.goto(`${board.url}queue/judge?status=failed`);
      await page.getByText('board-run~s-0').first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'board-before-retry.png'), fullPage: true });
      // the job card's first icon button is Retry (then duplicate, edit, delete); "Retry all" is outside the card
      const card = page
        .locator('div', { has: page.getByText('board-run~s-0') })
        .filter({ has: page.locator('button') })
        .last();
      await card.locator('button').first().click({ timeout: 10_000 });
      const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog'));
      await dialog
        .getByRole('button', { name: /confirm|retry|yes|ok/i })
        .first()
        .click({ timeout: 10_000 });
      const waited = await gavel(['wait', 'board-run', '--timeout', '90'], env);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
      await page.goto(`${board.url}queue/judge?status=completed`);
      await page.getByText('board-run~s-0').first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'board-after-retry.png'), fullPage: true });
    } finally {
      await browser.close();
      board.child.kill('SIGTERM');
      await workers.stop();
    }
    // The screenshots stay in test/e2e/artifacts (ignored); docs/ keeps a reviewed copy of each.
  });
});
