import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { durableRedis } from '../support/durable-redis.ts';
import { freePort, type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let api: ApiServer;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi({ GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn' });
});

afterAll(async () => {
  await api?.stop();
});

describe('GET /healthz', () => {
  it('says ok while Redis answers and 503 with the reason once it is gone', async () => {
    const up = await fetch(`${api.url}/healthz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ok', redis: 'ok' });
    await redis.stop();
    const down = await fetch(`${api.url}/healthz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { status: string; redis: string };
    expect(body.status).toBe('unavailable');
    expect(body.redis.length).toBeGreaterThan(0);
    // and with Redis gone it still shuts down cleanly, without the deadline forcing it
    await api.stop();
    expect(api.child.exitCode).toBe(143);
    expect(api.output()).not.toContain('shutdown deadline passed');
  });
});

describe('gavel serve shutdown', () => {
  it('on SIGTERM ends an open event stream and exits 143', async () => {
    const server = await startRedis();
    const served = await startApi({ GAVEL_REDIS_URL: server.url, GAVEL_LOG_LEVEL: 'warn' });
    try {
      const posted = await fetch(`${served.url}/v1/runs?run_id=open-stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${JSON.stringify({ id: 'a', kind: 'text', prompt: 'p', output: 'o', sut: { model: 'm', family: 'f' } })}\n`,
      });
      expect(posted.status).toBe(201);
      const events = await fetch(`${served.url}/v1/runs/open-stream/events`);
      const reader = (events.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('event: progress');
      const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
      served.child.kill('SIGTERM');
      // the stream ends (closed by the server) rather than hanging, and the process exits 128 + 15
      await reader.read().then(
        (r) => expect(r.done).toBe(true),
        (error: Error) => expect(error).toBeInstanceOf(Error),
      );
      expect(await exited).toBe(143);
      // it drained: the shutdown deadline did not have to force the exit
      expect(served.output()).not.toContain('shutdown deadline passed');
    } finally {
      await served.stop();
      await server.stop();
    }
  });
});

describe('gavel serve across a Redis restart', () => {
  it('answers again once redis-server is back from a SIGKILL (its connection never gives up)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gavel-api-restart-'));
    const durable = durableRedis(await freePort(), dir);
    await durable.start();
    const served = await startApi({ GAVEL_REDIS_URL: durable.url, GAVEL_LOG_LEVEL: 'warn' });
    try {
      expect((await fetch(`${served.url}/v1/runs`)).status).toBe(200);
      await durable.kill('SIGKILL');
      expect((await fetch(`${served.url}/healthz`)).status).toBe(503);
      // long enough down that a connection which gives up after a few tries has given up
      await sleep(3_000);
      await durable.start();
      let health = 0;
      while (health !== 200) {
        health = (await fetch(`${served.url}/healthz`)).status;
        if (health !== 200) await sleep(200);
      }
      const runs = await fetch(`${served.url}/v1/runs`);
      expect(runs.status).toBe(200);
      expect(served.output()).toContain('Redis connection error (reconnecting)');
    } finally {
      await served.stop();
      await durable.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
