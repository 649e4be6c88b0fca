import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, refusedStart, startApi } from '../support/api-server.ts';
import { jsonl, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

const WRITE_TOKEN = `write-${'a1'.repeat(16)}`;
const READ_TOKEN = `read-${'b2'.repeat(16)}`;

let redis: RedisServer;
let env: NodeJS.ProcessEnv;
let api: ApiServer;

beforeAll(async () => {
  redis = await startRedis();
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'debug', GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' };
  api = await startApi({ ...env, GAVEL_API_TOKEN: WRITE_TOKEN, GAVEL_API_READ_TOKENS: READ_TOKEN });
});

afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

const post = (token?: string) =>
  fetch(`${api.url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: jsonl([textSample(1)]),
  });

/** A GET with a Host header of the test's choosing (fetch would send the URL's own). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('gavel serve security, against the real process', () => {
  it('refuses to start off loopback without GAVEL_API_TOKEN: exit 78, one line naming the variable', async () => {
    const refused = await refusedStart(env, ['--host', '0.0.0.0', '--port', '0']);
    expect(refused.code).toBe(78);
    expect(refused.output.trim().split('\n')).toEqual([
      'gavel serve: GAVEL_API_HOST=0.0.0.0 is not loopback: set GAVEL_API_TOKEN (comma-separated bearer tokens)',
    ]);
  });

  it('refuses to start on a bad variable with one line, the secret not shown', async () => {
    const refused = await refusedStart({ ...env, GAVEL_API_TOKEN: 'too-short-secret' }, ['--port', '0']);
    expect(refused.code).toBe(78);
    expect(refused.output.trim().split('\n')).toHaveLength(1);
    expect(refused.output).toContain('GAVEL_API_TOKEN.0: each token must be at least 24 characters');
    expect(refused.output).not.toContain('too-short-secret');
  });

  it('answers 401 with WWW-Authenticate without a token or with a wrong one', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${WRITE_TOKEN}x` },
      { authorization: `Basic ${WRITE_TOKEN}` },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${api.url}/v1/runs`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gavel"');
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await post()).status).toBe(401);
  });

  it('lets a read-only token read but not write (403), and a write token write', async () => {
    expect((await fetch(`${api.url}/v1/runs`, { headers: { authorization: `Bearer ${READ_TOKEN}` } })).status).toBe(
      200,
    );
    const refused = await post(READ_TOKEN);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { type: string }).type).toBe('urn:gavel:problem:forbidden');
    const listed = (await (
      await fetch(`${api.url}/v1/runs`, { headers: { authorization: `Bearer ${READ_TOKEN}` } })
    ).json()) as { runs: unknown[] };
    expect(listed.runs).toEqual([]);
    expect((await post(WRITE_TOKEN)).status).toBe(201);
  });

  it('serves /healthz and /openapi.json without a token', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${api.url}/openapi.json`)).status).toBe(200);
  });

  it('refuses a Host that is not loopback (DNS rebinding) and answers one that is', async () => {
    const port = new URL(api.url).port;
    const rebound = await getWithHost(`${api.url}/healthz`, `attacker.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('GAVEL_API_ALLOWED_HOSTS');
    expect((await getWithHost(`${api.url}/healthz`, `localhost:${port}`)).status).toBe(200);
  });

  it('sends no CORS header unless origins are configured', async () => {
    const response = await fetch(`${api.url}/healthz`, { headers: { origin: 'https://dash.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never writes a token to its log, even at debug level', () => {
    const log = api.output();
    expect(log).toContain('api listening');
    expect(log).not.toContain(WRITE_TOKEN);
    expect(log).not.toContain(READ_TOKEN);
  });
});
