import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxImage } from '../integration/sandbox-fixtures.ts';
import { gavel } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let dataDir: string;

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), 'gavel-demo-'));
  // What infra/bootstrap-docker records: the sandbox image the demo runs code samples in.
  await writeFile(join(dataDir, 'sandbox-image'), `${sandboxImage()}\n`);
});

afterAll(async () => {
  await redis.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('gavel demo (real Redis, worker processes, the Docker sandbox)', () => {
  it("ends the day with two HumanEval runs, the comparison's decision line and the review matrix to open", async () => {
    const result = await gavel(
      ['demo', '--timeout', '500'],
      { GAVEL_REDIS_URL: redis.url, GAVEL_DATA_DIR: dataDir, GAVEL_LOG_LEVEL: 'warn', GAVEL_SANDBOX_CONCURRENCY: '2' },
      590_000,
    );
    expect(result.code, result.stderr).toBe(0);
    const out = result.stderr;
    // The bundled pair (apps/cli/demo/README.md): base wrong on 3, 6, 9; candidate wrong on 10.
    expect(out).toMatch(/run \S+: 9\/12 samples passed/);
    expect(out).toMatch(/run \S+: 11\/12 samples passed/);
    expect(out).toContain(
      'regressions (pass → fail): HumanEval/10; fixes (fail → pass): HumanEval/3, HumanEval/6, HumanEval/9',
    );
    expect(out).toMatch(/^gavel demo: {3}decision: no significant change — /m);

    const comparisonPath = /all figures in (\S+\.txt)/.exec(out)?.[1] as string;
    const comparison = JSON.parse(await readFile(comparisonPath.replace(/\.txt$/, '.json'), 'utf8'));
    expect(comparison.base).toMatchObject({ n: 12, pass_rate: 9 / 12 });
    expect(comparison.candidate).toMatchObject({ n: 12, pass_rate: 11 / 12 });
    expect(comparison.mcnemar).toMatchObject({ b: 1, c: 3, method: 'exact' });
    // Exact two-sided binomial on 4 discordant pairs, 1 of them b: 2 · (C(4,0) + C(4,1)) / 2⁴.
    expect(comparison.mcnemar.p_value).toBeCloseTo((2 * (1 + 4)) / 16, 12);
    expect(comparison.decision.outcome).toBe('no significant change');
    expect(await readFile(comparisonPath, 'utf8')).toContain(
      /^gavel demo: {3}(decision: .*)$/m.exec(out)?.[1] as string,
    );

    expect(out).toMatch(
      /gavel verify \S+: all 12 verdicts re-derived from the recorded facts and the pinned rubric match/,
    );

    const reviewPath = /review matrix to open: (\S+\.html)/.exec(out)?.[1] as string;
    expect(existsSync(reviewPath)).toBe(true);
    const html = await readFile(reviewPath, 'utf8');
    expect(html.startsWith('<!doctype html>') || html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(comparison.candidate.run_id);
    expect(html).toContain(comparison.base.run_id);
  }, 600_000);
});
