import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { jsonl, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { monitorRedis } from '../support/redis-monitor.ts';

let redis: RedisServer;
let client: Redis;
let api: ApiServer;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  api = await startApi({ GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_SANDBOX: 'none' });
});

afterAll(async () => {
  await api?.stop();
  client?.disconnect();
  await redis?.stop();
});

/** Every ZRANGE Redis ran on the run list (scripts' commands included), as MONITOR reports them. */
async function watchRunList(): Promise<{ ranges: string[][]; stop(): void }> {
  const ranges: string[][] = [];
  const monitor = await monitorRedis(redis.url, ({ args }) => {
    if (args[1] === 'gavel:runs' && args[0]?.toLowerCase().startsWith('zrange')) ranges.push(args);
  });
  return { ranges, stop: () => monitor.stop() };
}

describe('GET /v1/runs pages', () => {
  it('walks runs created in the same millisecond across pages, none skipped or repeated, reading a page at a time', async () => {
    const ids = ['tie-e', 'first', 'tie-b', 'tie-d', 'last', 'tie-a', 'tie-c'];
    for (const id of ids) {
      const posted = await fetch(`${api.url}/v1/runs?run_id=${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: jsonl([textSample(1)]),
      });
      expect(posted.status).toBe(201);
    }
    // the run list is scored by creation time (ms): five runs created in the same millisecond
    const at = Date.parse('2026-12-01T09:00:00.000Z');
    await client.zadd('gavel:runs', 'XX', at - 1, 'first', at, 'tie-e', at, 'tie-b', at, 'tie-d', at, 'tie-a');
    await client.zadd('gavel:runs', 'XX', at, 'tie-c', at + 1, 'last');
    // oldest first; a sorted set orders equal scores by member
    const expected = ['first', 'tie-a', 'tie-b', 'tie-c', 'tie-d', 'tie-e', 'last'];

    const watched = await watchRunList();
    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    try {
      do {
        const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
        const response = await fetch(`${api.url}/v1/runs${query}`);
        expect(response.status).toBe(200);
        const page = (await response.json()) as { runs: { run_id: string }[]; next_cursor: string | null };
        expect(page.runs.length).toBeLessThanOrEqual(2);
        walked.push(...page.runs.map((r) => r.run_id));
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
    } finally {
      watched.stop();
    }
    expect(walked).toEqual(expected);
    expect(pages).toBe(4);
    // each page read at most limit + 1 ids from the run list, never the whole list
    expect(watched.ranges.length).toBeGreaterThan(0);
    for (const args of watched.ranges) {
      const [start, stop] = [Number(args[2]), Number(args[3])];
      expect(args, 'a bounded index range').toHaveLength(4);
      expect(start, args.join(' ')).toBeGreaterThanOrEqual(0);
      expect(stop, args.join(' ')).toBeGreaterThanOrEqual(start);
      expect(stop - start + 1, args.join(' ')).toBeLessThanOrEqual(3);
    }
  });
});
