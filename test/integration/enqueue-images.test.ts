import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDatasetError, parseNativeJsonl, readDatasetFile } from '@gavel/core';
import { createRedis, RunStore } from '@gavel/queue';
import { resolveDatasetImages } from '@gavel/runs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl } from '../support/gavel.ts';
import { encodePng } from '../support/png.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let dir: string;
let redis: RedisServer;

const systems = { a: { model: 'base-7b', family: 'acme' }, b: { model: 'cand-8b', family: 'acme' } };
const pair = (id: string, a: unknown, b: unknown) => ({
  id,
  kind: 'pair',
  prompt: [{ type: 'text', text: 'Which chart labels its axes correctly?' }],
  outputs: { a, b },
  systems,
});
const image = (path: string) => [{ type: 'image', path }];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-images-'));
  await mkdir(join(dir, 'charts'));
  await writeFile(
    join(dir, 'charts', 'good.png'),
    encodePng(64, 48, (x) => [x * 4, 80, 160]),
  );
  await writeFile(
    join(dir, 'charts', 'bad.png'),
    encodePng(64, 48, (_x, y) => [200, y * 5, 40]),
  );
  await writeFile(
    join(dir, 'charts', 'wide.png'),
    encodePng(8001, 1, () => [0, 0, 0]),
  );
  await writeFile(join(dir, 'charts', 'anim.gif'), Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'));
  // Random pixels do not compress: 1400 × 1000 × 3 bytes ≈ 4.2 MB of PNG, ≈ 5.6 MB of base64.
  const noise = randomBytes(1400 * 1000 * 3);
  await writeFile(
    join(dir, 'charts', 'huge.png'),
    encodePng(1400, 1000, (x, y) => {
      const i = 3 * (y * 1400 + x);
      return [noise[i] ?? 0, noise[i + 1] ?? 0, noise[i + 2] ?? 0];
    }),
  );
  redis = await startRedis({ appendonly: false });
});

afterAll(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('images at enqueue', () => {
  it('checks format, size and pixels and names the line and part of each bad image', async () => {
    const file = join(dir, 'bad.jsonl');
    await writeFile(
      file,
      jsonl([
        pair('ok', image('charts/good.png'), image('charts/bad.png')),
        pair('huge', image('charts/good.png'), image('charts/huge.png')),
        pair('wide', image('charts/wide.png'), image('charts/good.png')),
        pair('gif', image('charts/good.png'), image('charts/anim.gif')),
        pair('missing', image('charts/none.png'), image('charts/good.png')),
        pair('http', [{ type: 'image', url: 'https://example.com/x.png' }], image('charts/good.png')),
      ]),
    );
    const parsed = parseNativeJsonl(await readDatasetFile(file));
    const images = await resolveDatasetImages(parsed);
    const errors = parsed.errors.map(formatDatasetError);
    expect(errors[0]).toMatch(
      new RegExp(
        `^${file}:2: outputs\\.b\\.0 \\(charts/huge\\.png\\): \\d+ bytes is \\d+ bytes of base64, over the 5 MB \\(5242880\\)`,
      ),
    );
    expect(errors[1]).toMatch(
      new RegExp(`^${file}:3: outputs\\.a\\.0 \\(charts/wide\\.png\\): 8001×1 px is over the 8000 px`),
    );
    expect(errors[2]).toMatch(new RegExp(`^${file}:4: outputs\\.b\\.0 \\(charts/anim\\.gif\\): GIF is not accepted`));
    expect(errors[3]).toMatch(new RegExp(`^${file}:5: outputs\\.a\\.0 \\(charts/none\\.png\\): cannot read .*ENOENT`));
    expect(errors[4]).toMatch(new RegExp(`^${file}:6: outputs\\.a\\.0\\.url: must be a data: URL`));
    expect(errors).toHaveLength(5);
    // The good pair: both images checked and replaced by their stored references.
    expect(parsed.samples.map((s) => s.id)).toEqual(['ok']);
    const ok = parsed.samples[0];
    expect(ok?.kind === 'pair' && ok.outputs.a).toEqual([
      expect.objectContaining({ type: 'image', media_type: 'image/png', width: 64, height: 48 }),
    ]);
    expect(images.size).toBeGreaterThanOrEqual(2);
  });

  it('gavel enqueue refuses an oversize image naming its line, and stores each distinct image once', async () => {
    const env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn' };
    const bad = join(dir, 'oversize.jsonl');
    await writeFile(
      bad,
      jsonl([pair('p1', image('charts/good.png'), image('charts/bad.png')), pair('p2', image('charts/huge.png'), 'x')]),
    );
    const refused = await gavel(['enqueue', bad, '--run', 'run-oversize'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${bad}:2: outputs.a.0 (charts/huge.png): `);
    expect(refused.stderr).toMatch(/over the 5 MB \(5242880\) the Anthropic API accepts per image/);
    expect(refused.stderr).toMatch(/1 invalid line\(s\), nothing enqueued/);

    // 20 pairs over the same two charts (and one data URL of the first): two images stored.
    const good = join(dir, 'good.jsonl');
    const dataUrl = `data:image/png;base64,${encodePng(64, 48, (x) => [x * 4, 80, 160]).toString('base64')}`;
    await writeFile(
      good,
      jsonl([
        ...Array.from({ length: 20 }, (_, i) => pair(`g${i}`, image('charts/good.png'), image('charts/bad.png'))),
        pair('inline', [{ type: 'image', url: dataUrl }], image('charts/bad.png')),
      ]),
    );
    const enqueued = await gavel(['enqueue', good, '--run', 'run-images'], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const client = createRedis(redis.url, { role: 'client' });
    try {
      const keys = await client.keys('gavel:{image:*}:bytes');
      expect(keys).toHaveLength(2);
      const store = new RunStore(client, 'gavel');
      const sample = await store.getSample('run-images', 'inline');
      const first = await store.getSample('run-images', 'g0');
      expect(sample.kind === 'pair' && first.kind === 'pair').toBe(true);
      if (sample.kind === 'pair' && first.kind === 'pair') {
        // The data URL and the file hold the same bytes: the same stored image.
        expect(sample.outputs.a).toEqual(first.outputs.a);
        const [part] = first.outputs.a as { sha256: string }[];
        const bytes = await store.images.get(part?.sha256 ?? '');
        expect(bytes?.equals(encodePng(64, 48, (x) => [x * 4, 80, 160]))).toBe(true);
      }
    } finally {
      client.disconnect();
    }
  });
});
