import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { jsonl, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let api: ApiServer;
let stopped = false;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi({
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'none',
    GAVEL_JUDGE: 'facts',
    GAVEL_API_REDIS_TIMEOUT_S: '1',
  });
});

afterAll(async () => {
  if (stopped) redis?.process.kill('SIGCONT');
  await api?.stop();
  await redis?.stop();
});

/**
 * A request with a guard far past the API's deadline: a server that waits for Redis for ever makes
 * this reject (the test fails) instead of hanging the suite.
 */
const get = (path: string) => fetch(`${api.url}${path}`, { signal: AbortSignal.timeout(60_000) });

describe('gavel serve while Redis does not answer', () => {
  it('answers 503 problem+json with Retry-After on every Redis-backed route, then 200 once Redis is back', async () => {
    const posted = await fetch(`${api.url}/v1/runs?run_id=stalled`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: jsonl([textSample(1), textSample(2)]),
    });
    expect(posted.status).toBe(201);
    expect((await get('/v1/runs/stalled')).status).toBe(200);

    // a stopped redis-server keeps its socket open and never answers: the worst kind of outage
    redis.process.kill('SIGSTOP');
    stopped = true;
    for (const path of ['/v1/runs/stalled', '/v1/runs', '/v1/runs/stalled/report']) {
      const down = await get(path);
      expect(down.status, path).toBe(503);
      expect(down.headers.get('content-type'), path).toBe('application/problem+json');
      expect(Number(down.headers.get('retry-after')), path).toBeGreaterThan(0);
      expect(await down.json(), path).toMatchObject({ type: 'urn:gavel:problem:redis-unavailable', status: 503 });
    }
    // a stream answers at once and ends with its error line, never a silent cut or a hang
    const stream = await get('/v1/runs/stalled/verdicts');
    const lines = (await stream.text()).trim().split('\n');
    expect(JSON.parse(lines.at(-1) as string)).toEqual({ error: { message: expect.any(String), sent: 0 } });
    const submit = await fetch(`${api.url}/v1/runs?run_id=while-stalled`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: jsonl([textSample(3)]),
      signal: AbortSignal.timeout(60_000),
    });
    expect(submit.status).toBe(503);

    redis.process.kill('SIGCONT');
    stopped = false;
    const up = await get('/v1/runs/stalled');
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ manifest: { run_id: 'stalled' }, status: { total: 2 } });
    // the submission refused during the outage released its key: it goes through now
    const retried = await fetch(`${api.url}/v1/runs?run_id=while-stalled`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: jsonl([textSample(3)]),
    });
    expect(retried.status).toBe(201);
  });
});
