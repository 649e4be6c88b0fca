import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKey } from '@gavel/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DurableRedis, durableRedis } from '../support/durable-redis.ts';
import { gavel, jsonl, sandboxWorkerPids, startWorkers, textSample } from '../support/gavel.ts';
import { freePort } from '../support/redis.ts';
import { gavelContainers, humanEvalProblems, sandboxImage } from './sandbox-fixtures.ts';

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

/** How many times the server executed a write of each sample's verdict (from the AOF). */
async function verdictWrites(verdictsKey: string): Promise<Map<string, number>> {
  // Every verdict write the server executed is in the AOF (a script's effects are logged as its
  // commands; an HSETNX that wrote nothing is not logged).
  const writes = new Map<string, number>();
  for (const argv of await aofCommands(dir)) {
    const name = argv[0]?.toUpperCase();
    if ((name === 'HSETNX' || name === 'HSET' || name === 'HMSET') && argv[1] === verdictsKey) {
      for (let i = 2; i + 1 < argv.length; i += 2) {
        const id = argv[i] as string;
        writes.set(id, (writes.get(id) ?? 0) + 1);
      }
    }
  }
  return writes;
}

/**
 * Enqueues `rows` as `runId`, runs every stage worker, and SIGKILLs redis-server each time the run's
 * `watched` hash reaches one of `killAt` (restarting it from its AOF on the same port 3 s later);
 * returns once `gavel wait` says every sample ended, with the run's verdicts and failures.
 */
async function runThroughRestarts(
  runId: string,
  rows: readonly Record<string, unknown>[],
  extraEnv: NodeJS.ProcessEnv,
  watched: 'facts' | 'verdicts',
  killAt: readonly number[],
) {
  const env = {
    GAVEL_REDIS_URL: server.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_LOCK_DURATION_MS: '3000',
    GAVEL_STALLED_INTERVAL_MS: '1000',
    GAVEL_CONCURRENCY: '8',
    ...extraEnv,
  };
  const file = join(dir, `${runId}.jsonl`);
  await writeFile(file, jsonl(rows));
  const enqueued = await gavel(['enqueue', file, '--run', runId], env);
  expect(enqueued.code, enqueued.stderr).toBe(0);
  const probe = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  probe.on('error', () => {});
  const watchedKey = runKey('gavel', runId, watched);
  const workers = startWorkers(env);
  let output = '';
  try {
    for (const threshold of killAt) {
      const stalledAfter = Date.now() + 120_000;
      while ((await probe.hlen(watchedKey)) < threshold) {
        if (Date.now() > stalledAfter) throw new Error(`the run stalled at ${await probe.hlen(watchedKey)} ${watched}`);
        await sleep(25);
      }
      const before = await probe.hlen(watchedKey);
      expect(before).toBeLessThan(rows.length);
      await server.kill('SIGKILL');
      // Long enough down that a connection which gives up after a few tries has given up.
      await sleep(3_000);
      await server.start();
      // Nothing acknowledged before the kill was lost (the AOF was written before each reply).
      expect(await probe.hlen(watchedKey)).toBeGreaterThanOrEqual(before);
    }
    const waited = await gavel(['wait', runId, '--timeout', '240'], env, 300_000);
    expect(waited.code, `${waited.stderr}\n${workers.output().slice(-4000)}`).toBe(0);
  } finally {
    await workers.stop();
    output = workers.output();
    probe.disconnect();
  }
  const check = new Redis(server.url);
  const [verdicts, failures] = await Promise.all([
    check.hgetall(runKey('gavel', runId, 'verdicts')),
    check.hgetall(runKey('gavel', runId, 'failures')),
  ]);
  check.disconnect();
  return {
    verdicts: new Map(Object.entries(verdicts).map(([id, json]) => [id, JSON.parse(json) as { pass: boolean }])),
    failures,
    writes: await verdictWrites(runKey('gavel', runId, 'verdicts')),
    sandboxPids: sandboxWorkerPids(output),
  };
}

describe('redis-server SIGKILLed and restarted from its AOF mid-run', () => {
  it('every text sample of the run is decided exactly once, counted in the AOF', async () => {
    const total = 2000;
    const rows = Array.from({ length: total }, (_, i) => textSample(i));
    const { verdicts, failures, writes } = await runThroughRestarts(
      'run-redis-restart',
      rows,
      {},
      'verdicts',
      [200, 900],
    );
    expect(verdicts.size).toBe(total);
    expect(failures).toEqual({});
    expect(writes.size).toBe(total);
    expect([...writes].filter(([, n]) => n !== 1)).toEqual([]);
    // textSample answers Paris, London, Berlin in turn against the reference Paris: one in three passes.
    expect([...verdicts.values()].filter((v) => v.pass)).toHaveLength(Math.ceil(total / 3));
  });

  it('every code sample run in the Docker sandbox is decided exactly once, with the right outcome', async () => {
    const problems = humanEvalProblems().slice(0, 24);
    const row = (id: string, p: (typeof problems)[number], completion: string) => ({
      id,
      kind: 'code',
      prompt: p.prompt,
      output: p.prompt + completion,
      tests: `${p.test}\n\ncheck(${p.entry_point})\n`,
      expected_tests: 1,
      language: 'python',
      sut: { model: 'm', family: 'f' },
    });
    const rows = [
      ...problems.map((p, i) => row(`good-${i}`, p, p.canonical_solution ?? '')),
      ...problems.slice(0, 8).map((p, i) => row(`wrong-${i}`, p, '    return None\n')),
    ];
    const { verdicts, failures, writes, sandboxPids } = await runThroughRestarts(
      'run-redis-restart-code',
      rows,
      {
        GAVEL_SANDBOX: 'docker',
        GAVEL_SANDBOX_IMAGE: sandboxImage(),
        GAVEL_SANDBOX_CONCURRENCY: '2',
        GAVEL_JUDGE: 'facts',
      },
      'facts',
      [8],
    );
    expect(failures).toEqual({});
    expect(verdicts.size).toBe(rows.length);
    expect([...writes].filter(([, n]) => n !== 1)).toEqual([]);
    expect(writes.size).toBe(rows.length);
    for (const r of rows) expect(verdicts.get(r.id)?.pass, r.id).toBe(r.id.startsWith('good-'));
    // No container of this run's sandbox workers is left behind.
    expect(sandboxPids.length).toBeGreaterThan(0);
    for (const pid of sandboxPids) expect(gavelContainers(pid)).toEqual([]);
  });
});
