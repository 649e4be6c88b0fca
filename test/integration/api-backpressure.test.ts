import { type IncomingMessage, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKey } from '@gavel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { jsonl, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { monitorRedis } from '../support/redis-monitor.ts';

let redis: RedisServer;
let api: ApiServer;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi({
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'none',
    GAVEL_JUDGE: 'facts',
  });
});

afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

/** Samples in the run, and their size: ~30 MB of NDJSON, far past what socket buffers on both ends hold. */
const SAMPLES = 6000;
/** The server pages the run store 200 sample ids at a time (one LRANGE of the run's order list a page). */
const PAGE = 200;

/** Counts the LRANGE calls on one key, as Redis itself reports them (MONITOR), not as the API says. */
async function countLranges(key: string): Promise<{ count(): number; stop(): void }> {
  let count = 0;
  const monitor = await monitorRedis(redis.url, ({ args }) => {
    if (args[0]?.toLowerCase() === 'lrange' && args[1] === key) count += 1;
  });
  return { count: () => count, stop: () => monitor.stop() };
}

/** Waits until `value()` has stayed the same over several looks in a row (the server stopped paging). */
async function settled(value: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  while (same < 8) {
    await sleep(250);
    const now = value();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe('GET /v1/runs/{id}/verdicts backpressure', () => {
  it('pages Redis only as fast as a client reads: a client that stops reading stops the paging', async () => {
    const rows = Array.from({ length: SAMPLES }, (_, i) =>
      textSample(i, { id: `bp-${i}`, prompt: `Q${i} ${'x'.repeat(5000)}` }),
    );
    const posted = await fetch(`${api.url}/v1/runs?run_id=api-bp`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: jsonl(rows),
    });
    expect(posted.status).toBe(201);
    const totalPages = Math.ceil(SAMPLES / PAGE);
    const lranges = await countLranges(runKey('gavel', 'api-bp', 'order'));
    try {
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        request(`${api.url}/v1/runs/api-bp/verdicts`).on('response', resolve).on('error', reject).end();
      });
      expect(response.statusCode).toBe(200);
      // read one chunk, then stop reading (the connection stays open)
      const chunks: Buffer[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        response.once('end', resolve);
        response.once('error', reject);
      });
      const first = new Promise<void>((resolve) => {
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (chunks.length === 1) {
            response.pause();
            resolve();
          }
        });
      });
      await first;
      expect(chunks[0]?.byteLength).toBeGreaterThan(0);
      const whilePaused = await settled(lranges.count);
      // a server that read the run up front would have paged it all (totalPages + the empty last look)
      expect(whilePaused).toBeGreaterThan(0);
      expect(whilePaused).toBeLessThan(totalPages / 2);

      // the client reads again and gets every record, in order, with no error line
      response.resume();
      await ended;
      const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
      expect(lines).toHaveLength(SAMPLES);
      expect(lines.map((l) => (JSON.parse(l) as { sample_id: string }).sample_id)).toEqual(rows.map((r) => r.id));
      // MONITOR reports each command asynchronously: let the last pages' reports arrive before counting
      expect(await settled(lranges.count)).toBeGreaterThanOrEqual(totalPages);
    } finally {
      lranges.stop();
    }
  });
});
