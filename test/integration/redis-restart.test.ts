import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DurableRedis, durableRedis } from '../support/durable-redis.ts';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { freePort } from '../support/redis.ts';

/** Every command in the AOF's incremental files (RESP arrays), oldest first, as the server logged them. */
async function aofCommands(dir: string): Promise<string[][]> {
  const aofDir = join(dir, 'appendonlydir');
  const manifest = (await readdir(aofDir)).find((f) => f.endsWith('.manifest'));
  if (!manifest) throw new Error('no AOF manifest');
  const files = (await readFile(join(aofDir, manifest), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => /file (\S+) seq (\d+) type ([bhi])/.exec(line))
    // The incremental files hold every command since the (empty, never rewritten) base.
    .filter((m): m is RegExpExecArray => m !== null && m[3] === 'i')
    .sort((a, b) => Number(a[2]) - Number(b[2]))
    .map((m) => m[1] as string);
  const commands: string[][] = [];
  for (const file of files) {
    const data = await readFile(join(aofDir, file));
    let at = 0;
    const line = (): string => {
      const end = data.indexOf('\r\n', at);
      const text = data.subarray(at, end).toString('latin1');
      at = end + 2;
      return text;
    };
    while (at < data.length) {
      const head = line();
      if (!head.startsWith('*')) throw new Error(`${file}: unexpected AOF line ${head.slice(0, 40)}`);
      const argc = Number(head.slice(1));
      const argv: string[] = [];
      for (let i = 0; i < argc; i += 1) {
        const size = Number(line().slice(1));
        argv.push(data.subarray(at, at + size).toString('utf8'));
        at += size + 2;
      }
      commands.push(argv);
    }
  }
  return commands;
}

let dir: string;
let server: DurableRedis;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-redis-restart-'));
  server = durableRedis(await freePort(), dir);
  await server.start();
});

afterAll(async () => {
  await server.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

describe('redis-server SIGKILLed and restarted from its AOF mid-run', () => {
  it('every sample of the run is decided exactly once, counted in the AOF', async () => {
    const total = 2000;
    const runId = 'run-redis-restart';
    const env = {
      GAVEL_REDIS_URL: server.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_LOCK_DURATION_MS: '3000',
      GAVEL_STALLED_INTERVAL_MS: '1000',
      GAVEL_CONCURRENCY: '8',
    };
    const file = join(dir, 'samples.jsonl');
    await writeFile(file, jsonl(Array.from({ length: total }, (_, i) => textSample(i))));
    const enqueued = await gavel(['enqueue', file, '--run', runId], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const probe = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    probe.on('error', () => {});
    const verdicts = `gavel:run:${runId}:verdicts`;
    const workers = startWorkers(env);
    try {
      for (const threshold of [200, 900]) {
        const stalledAfter = Date.now() + 120_000;
        while ((await probe.hlen(verdicts)) < threshold) {
          if (Date.now() > stalledAfter) throw new Error(`the run stalled at ${await probe.hlen(verdicts)} verdict(s)`);
          await sleep(25);
        }
        const before = await probe.hlen(verdicts);
        expect(before).toBeLessThan(total);
        await server.kill('SIGKILL');
        // Long enough down that a connection which gives up after a few tries has given up.
        await sleep(3_000);
        await server.start();
        // Nothing acknowledged before the kill was lost (the AOF was written before each reply).
        expect(await probe.hlen(verdicts)).toBeGreaterThanOrEqual(before);
      }
      const waited = await gavel(['wait', runId, '--timeout', '150'], env, 200_000);
      expect(waited.code, `${waited.stderr}\n${workers.output().slice(-4000)}`).toBe(0);
    } finally {
      await workers.stop();
      probe.disconnect();
    }
    const check = new Redis(server.url);
    const [verdictCount, failures] = await Promise.all([
      check.hlen(verdicts),
      check.hgetall(`gavel:run:${runId}:failures`),
    ]);
    check.disconnect();
    expect(verdictCount).toBe(total);
    expect(failures).toEqual({});

    // Count the writes themselves: every verdict write the server executed is in the AOF (a
    // script's effects are logged as its commands; an HSETNX that wrote nothing is not logged).
    const writes = new Map<string, number>();
    for (const argv of await aofCommands(dir)) {
      const name = argv[0]?.toUpperCase();
      if ((name === 'HSETNX' || name === 'HSET' || name === 'HMSET') && argv[1] === verdicts) {
        for (let i = 2; i + 1 < argv.length; i += 2) {
          const id = argv[i] as string;
          writes.set(id, (writes.get(id) ?? 0) + 1);
        }
      }
    }
    expect(writes.size).toBe(total);
    const twice = [...writes].filter(([, n]) => n !== 1);
    expect(twice).toEqual([]);
  });
});
