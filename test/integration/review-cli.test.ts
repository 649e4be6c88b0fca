import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

const HOSTILE = '</script><script>window.__pwned=1</script>';
const BASE_WRONG = new Set([1, 4]);
const CANDIDATE_WRONG = new Set([4, 7, 9]);
const N = 12;

let redis: RedisServer;
let dir: string;
let env: NodeJS.ProcessEnv;

function run(wrong: ReadonlySet<number>, model: string) {
  return Array.from({ length: N }, (_, i) =>
    textSample(i, {
      task_id: `capital-${i}`,
      output: wrong.has(i) ? (i === 9 ? HOSTILE : 'London') : 'Paris',
      sut: { model, family: 'acme' },
    }),
  );
}

/** The data the review page embeds, read back from its JSON element. */
function embedded(html: string): { columns: Array<{ key: string }>; rows: Array<{ c: unknown[]; t: string[] }> } {
  const json = html.match(/<script type="application\/json" id="gavel-data">([\s\S]*?)<\/script>/)?.[1];
  expect(json).toBeDefined();
  return JSON.parse(json as string);
}

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-review-cli-'));
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' };
  await writeFile(join(dir, 'base.jsonl'), jsonl(run(BASE_WRONG, 'acme-7b')));
  await writeFile(join(dir, 'cand.jsonl'), jsonl(run(CANDIDATE_WRONG, 'acme-8b')));
  for (const [file, id] of [
    ['base.jsonl', 'base-run'],
    ['cand.jsonl', 'cand-run'],
  ] as const) {
    const enq = await gavel(['enqueue', join(dir, file), '--run', id], env);
    expect(enq.code, enq.stderr).toBe(0);
  }
  const workers = startWorkers(env);
  try {
    for (const id of ['base-run', 'cand-run']) {
      const waited = await gavel(['wait', id, '--timeout', '120'], env);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    }
  } finally {
    await workers.stop();
  }
});

afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('gavel review and gavel export --format csv on runs in Redis', () => {
  it('writes the matrix with the base verdicts and the flips, the CSV and the JUnit XML', async () => {
    const out = join(dir, 'review.html');
    const result = await gavel(
      [
        'review',
        'cand-run',
        '--against',
        'base-run',
        '--out',
        out,
        '--csv',
        join(dir, 'review.csv'),
        '--junit',
        join(dir, 'review.xml'),
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(out);
    const html = await readFile(out, 'utf8');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('<td>sut.model</td><td>acme-7b</td><td>acme-8b</td>');
    const data = embedded(html);
    const column = (key: string) => data.columns.findIndex((c) => c.key === key);
    const flips = Object.fromEntries(data.rows.map((r) => [r.c[column('sample_id')], r.c[column('flip')]]));
    // base wrong at 1 and 4, candidate wrong at 4, 7 and 9: 7 and 9 regressed, 1 was fixed
    expect(flips).toEqual({
      ...Object.fromEntries(Array.from({ length: N }, (_, i) => [`s-${i}`, ''])),
      's-1': 'fix',
      's-7': 'regression',
      's-9': 'regression',
    });
    const verdicts = data.rows.map((r) => [r.c[column('verdict')], r.c[column('base_verdict')]]);
    expect(verdicts).toEqual(
      Array.from({ length: N }, (_, i) => [
        CANDIDATE_WRONG.has(i) ? 'fail' : 'pass',
        BASE_WRONG.has(i) ? 'fail' : 'pass',
      ]),
    );

    const csv = (await readFile(join(dir, 'review.csv'), 'utf8')).split('\r\n');
    expect(csv[0]?.split(',').slice(0, 7)).toEqual([
      'task_id',
      'sample_id',
      'verdict',
      'score',
      'base_verdict',
      'base_score',
      'flip',
    ]);
    expect(csv.filter(Boolean)).toHaveLength(N + 1);
    const xml = await readFile(join(dir, 'review.xml'), 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(N);
    expect(xml.match(/<failure /g)).toHaveLength(CANDIDATE_WRONG.size);
    expect(xml).toContain('<testsuite name="cand-run" tests="12" failures="3" errors="0" skipped="0">');
  });

  it('exports the same matrix as CSV, one row per sample, with --format csv', async () => {
    const result = await gavel(['export', 'cand-run', '--format', 'csv'], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(N + 1);
    expect(lines[0]).toMatch(/^task_id,sample_id,verdict,score,/);
    expect(lines[0]).not.toContain('base_verdict');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3))).toEqual(
      Array.from({ length: N }, (_, i) => [`capital-${i}`, `s-${i}`, CANDIDATE_WRONG.has(i) ? 'fail' : 'pass']),
    );
    const jsonlExport = await gavel(['export', 'cand-run', '--format', 'jsonl'], env);
    expect(jsonlExport.stdout.trim().split('\n')).toHaveLength(N);
    const bad = await gavel(['export', 'cand-run', '--format', 'xml'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("argument 'xml' is invalid");
  });

  it('names a run that does not exist', async () => {
    const result = await gavel(['review', 'no-such-run'], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('gavel: no run no-such-run (see gavel runs)');
  });
});
