import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let api: ApiServer;
let sdDir: string;

beforeAll(async () => {
  redis = await startRedis();
  sdDir = await mkdtemp(join(tmpdir(), 'gavel-api-sd-'));
  api = await startApi({
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_PROM_SD_DIR: sdDir,
  });
});

afterAll(async () => {
  await api?.stop();
  await redis?.stop();
  await rm(sdDir, { recursive: true, force: true });
});

describe('gavel serve metrics and CORS', () => {
  it('registers its /metrics in the file_sd directory, serves the process registry, and unregisters on exit', async () => {
    const files = (await readdir(sdDir)).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^gavel-api@/);
    const [group] = JSON.parse(await readFile(join(sdDir, files[0] as string), 'utf8'));
    expect(group.labels.job).toBe('gavel-api');
    const metricsUrl = /"metrics":"([^"]+)"/.exec(api.output())?.[1];
    expect(metricsUrl).toBe(`http://${group.targets[0]}/metrics`);
    const scraped = await (await fetch(metricsUrl as string)).text();
    expect(scraped).toMatch(/^gavel_api_process_resident_memory_bytes \d+/m);
    const onApi = await (await fetch(`${api.url}/metrics`)).text();
    expect(onApi).toMatch(/^gavel_api_nodejs_heap_size_used_bytes \d+/m);
    await api.stop();
    expect((await readdir(sdDir)).filter((f) => f.endsWith('.json'))).toEqual([]);
  });
});

describe('CORS when origins are configured', () => {
  it('answers a listed origin and no other', async () => {
    api = await startApi({
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_API_CORS_ORIGINS: 'https://dash.example',
    });
    const listed = await fetch(`${api.url}/v1/runs`, { headers: { origin: 'https://dash.example' } });
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    const preflight = await fetch(`${api.url}/v1/runs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    const other = await fetch(`${api.url}/v1/runs`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
