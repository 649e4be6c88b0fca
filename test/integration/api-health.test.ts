import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

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
  });
});
