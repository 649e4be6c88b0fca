import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageKey, imageRefsKey, loadBaseConfig, type Sample } from '@gavel/core';
import { createRedis, type RedisClient, RunStore, sampleImageBytes, stageQueue } from '@gavel/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl } from '../support/gavel.ts';
import { encodePng } from '../support/png.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let dir: string;
let redis: RedisServer;
let client: RedisClient;
let store: RunStore;
let env: Record<string, string>;

const SHARED = encodePng(40, 30, (x) => [x * 6, 90, 30]);
const ONLY_A = encodePng(40, 30, (_x, y) => [10, y * 8, 200]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const systems = { a: { model: 'base-7b', family: 'acme' }, b: { model: 'cand-8b', family: 'acme' } };
const pair = (id: string, a: string, b: string) => ({
  id,
  kind: 'pair',
  prompt: 'Which chart is right?',
  outputs: { a: [{ type: 'image', path: a }], b: [{ type: 'image', path: b }] },
  systems,
});

const stored = async (b: Buffer | string) =>
  (await client.exists(imageKey('gavel', typeof b === 'string' ? b : sha(b)))) === 1;

async function enqueue(runId: string, rows: Record<string, unknown>[]): Promise<void> {
  const file = join(dir, `${runId}.jsonl`);
  await writeFile(file, jsonl(rows));
  const result = await gavel(['enqueue', file, '--run', runId], env);
  expect(result.code, result.stderr).toBe(0);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-image-gc-'));
  await writeFile(join(dir, 'shared.png'), SHARED);
  await writeFile(join(dir, 'only-a.png'), ONLY_A);
  redis = await startRedis({ appendonly: false });
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn' };
  client = createRedis(redis.url, { role: 'client' });
  store = new RunStore(client, 'gavel');
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('image garbage collection', () => {
  it('gavel runs rm deletes an image when no remaining run shows it, and keeps one another run shows', async () => {
    await enqueue('gc-a', [pair('p1', 'shared.png', 'only-a.png'), pair('p2', 'only-a.png', 'shared.png')]);
    await enqueue('gc-b', [pair('q1', 'shared.png', 'shared.png')]);
    expect(await store.images.references(sha(SHARED))).toEqual(expect.arrayContaining(['gc-a', 'gc-b']));
    expect(await store.images.references(sha(ONLY_A))).toEqual(['gc-a']);

    const rmA = await gavel(['runs', 'rm', 'gc-a', '--json'], env);
    expect(rmA.code, rmA.stderr).toBe(0);
    expect(JSON.parse(rmA.stdout)).toMatchObject({ run_id: 'gc-a', images_removed: 1 });
    expect(await stored(ONLY_A)).toBe(false);
    expect(await client.exists(imageRefsKey('gavel', sha(ONLY_A)))).toBe(0);
    expect(await stored(SHARED)).toBe(true);
    expect(await store.images.references(sha(SHARED))).toEqual(['gc-b']);
    // The remaining run still reads its images as the judge does.
    const q1 = await store.getSample('gc-b', 'q1');
    expect((await sampleImageBytes(store.images, q1)).get(sha(SHARED))?.equals(SHARED)).toBe(true);

    // Removing the same run again (an interrupted removal run once more) releases nothing twice.
    const again = await gavel(['runs', 'rm', 'gc-a'], env);
    expect(again.code).toBe(1);
    expect(await stored(SHARED)).toBe(true);

    const rmB = await gavel(['runs', 'rm', 'gc-b'], env);
    expect(rmB.code, rmB.stderr).toBe(0);
    expect(rmB.stderr).toContain('1 image(s) no other run shows');
    expect(await client.keys('gavel:{image:*')).toEqual([]);
  });

  it('gavel runs prune deletes the images of the runs it removes', async () => {
    await enqueue('gc-old', [pair('p1', 'shared.png', 'only-a.png')]);
    // Its sandbox jobs would keep it (not finished): this run's samples are dropped from the queue.
    const sandbox = stageQueue('sandbox', { connection: client, prefix: loadBaseConfig({}).GAVEL_QUEUE_PREFIX });
    await sandbox.obliterate({ force: true });
    await sandbox.close();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await enqueue('gc-new', [pair('p1', 'shared.png', 'shared.png')]);
    // 0.00001 days is 0.864 s: gc-old (1.2 s old) goes; gc-new, enqueued just now, is not that old.
    const pruned = await gavel(['runs', 'prune', '--older-than', '0.00001', '--json'], env);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout.trim().split('\n')[0] as string)).toMatchObject({
      run_id: 'gc-old',
      images_removed: 1,
    });
    expect(await stored(ONLY_A)).toBe(false);
    expect(await stored(SHARED)).toBe(true);
    expect(await store.images.references(sha(SHARED))).toEqual(['gc-new']);
    expect((await gavel(['runs', 'rm', 'gc-new'], env)).code).toBe(0);
    expect(await stored(SHARED)).toBe(false);
  });

  it('never deletes an image being stored for a new run while the last run showing it is removed', async () => {
    // Two connections: the removal and the new run's enqueue reach Redis independently.
    const other = createRedis(redis.url, { role: 'client' });
    const store2 = new RunStore(other, 'gavel');
    const bytes = new Map([[sha(SHARED), SHARED]]);
    const sample = (runId: string): Sample => ({
      id: `${runId}-s`,
      kind: 'pair',
      prompt: 'x',
      outputs: {
        a: [{ type: 'image', sha256: sha(SHARED), media_type: 'image/png', width: 40, height: 30, bytes: 1 }],
        b: 'y',
      },
      systems,
    });
    try {
      await store.images.retainForRun('race-0', bytes);
      const deletedOnTheWay: number[] = [];
      for (let i = 1; i <= 60; i++) {
        // Run i-1 (the only one showing the image) is removed while run i stores the same image.
        const [removed] = await Promise.all([
          store.removeRun(`race-${i - 1}`),
          // Alternate which one is sent first, so both orders of arrival happen.
          i % 2 === 0
            ? store2.images.retainForRun(`race-${i}`, bytes)
            : new Promise((resolve) => setImmediate(resolve)).then(() =>
                store2.images.retainForRun(`race-${i}`, bytes),
              ),
        ]);
        deletedOnTheWay.push(removed.images);
        expect(await stored(SHARED), `round ${i}`).toBe(true);
        expect(await store.images.references(sha(SHARED)), `round ${i}`).toEqual([`race-${i}`]);
        expect((await sampleImageBytes(store.images, sample(`race-${i}`))).get(sha(SHARED))?.equals(SHARED)).toBe(true);
      }
      expect(deletedOnTheWay).toHaveLength(60);
      // The two orders one step apart, by hand: the new run's store first, then the removal — kept;
      // the removal first (the last reference goes, so do the bytes), then the store — stored again.
      await store2.images.retainForRun('race-61', bytes);
      expect((await store.removeRun('race-60')).images).toBe(0);
      expect(await stored(SHARED)).toBe(true);
      expect((await store.removeRun('race-61')).images).toBe(1);
      expect(await stored(SHARED)).toBe(false);
      expect(await store2.images.retainForRun('race-62', bytes)).toBe(1);
      expect(await stored(SHARED)).toBe(true);
      await store.removeRun('race-62');
      expect(await stored(SHARED)).toBe(false);
    } finally {
      other.disconnect();
    }
  });
});

describe('the dataset hash', () => {
  it('changes when an image file changes behind the same path, and gavel verify names the image', async () => {
    const chart = join(dir, 'chart.png');
    await writeFile(chart, SHARED);
    const file = join(dir, 'hash.jsonl');
    await writeFile(file, jsonl([pair('h1', 'chart.png', 'shared.png')]));
    const first = await gavel(['enqueue', file, '--run', 'hash-1'], env);
    expect(first.code, first.stderr).toBe(0);
    const m1 = await store.getManifest('hash-1');
    expect(m1.dataset.images).toEqual([sha(SHARED)]);
    // The JSONL bytes are the same; only the image behind chart.png changes.
    await writeFile(chart, ONLY_A);
    const second = await gavel(['enqueue', file, '--run', 'hash-2'], env);
    expect(second.code, second.stderr).toBe(0);
    const m2 = await store.getManifest('hash-2');
    expect(m2.dataset.files).toEqual(m1.dataset.files);
    expect(m2.dataset.images).toEqual([sha(ONLY_A), sha(SHARED)].sort());
    expect(m2.dataset.sha256).not.toBe(m1.dataset.sha256);
    // By hand: sha256 over "<file sha>\n" then "image <sha>\n" per image, sorted.
    const byHand = createHash('sha256').update(`${m2.dataset.files[0]?.sha256}\n`);
    for (const s of [sha(ONLY_A), sha(SHARED)].sort()) byHand.update(`image ${s}\n`);
    expect(m2.dataset.sha256).toBe(byHand.digest('hex'));
    // Enqueuing the first run again over the changed image is another dataset: refused.
    const reused = await gavel(['enqueue', file, '--run', 'hash-1'], env);
    expect(reused.code).not.toBe(0);
    expect(reused.stderr).toContain('already exists with another dataset');
    // gavel verify re-reads the images beside the dataset file: hash-1's chart is not what it was.
    const verify = await gavel(['verify', 'hash-1', '--dataset', file, '--json'], env);
    const report = JSON.parse(verify.stdout);
    const dataset = report.checks.find((c: { name: string }) => c.name === 'dataset');
    expect(dataset.status).toBe('mismatch');
    expect(report.mismatches.map((m: { field: string }) => m.field)).toEqual(
      expect.arrayContaining(['images', 'sha256']),
    );
    const ok = await gavel(['verify', 'hash-2', '--dataset', file, '--json'], env);
    expect(JSON.parse(ok.stdout).checks.find((c: { name: string }) => c.name === 'dataset').status).toBe('ok');
  });
});
