import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWords } from '../pairwise-demo/font.ts';
import { DEMO_EXPECTED, makePairwiseDemo } from '../pairwise-demo/make-dataset.ts';
import { decodePng, encodePng } from '../pairwise-demo/png.ts';
import { ROOT, SOURCE_NODE_ARGS } from '../support/gavel.ts';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gavel-pairwise-demo-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...SOURCE_NODE_ARGS, join(ROOT, 'test', 'pairwise-demo', 'run.ts')],
      { env: { ...process.env, ...env }, cwd: ROOT, timeout: 280_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('the pairwise demo set', () => {
  it('writes the same PNG bytes every time, readable back to their pixels and their lettering', async () => {
    const one = await mkdtemp(join(tmpdir(), 'gavel-pd-1-'));
    const two = await mkdtemp(join(tmpdir(), 'gavel-pd-2-'));
    try {
      await makePairwiseDemo(one);
      await makePairwiseDemo(two);
      for (const name of ['chart-0-right.png', 'chart-0-mislabelled.png', 'pairs.jsonl']) {
        const sub = name.endsWith('.png') ? join('charts', name) : name;
        expect((await readFile(join(one, sub))).equals(await readFile(join(two, sub))), name).toBe(true);
      }
      const right = decodePng(await readFile(join(one, 'charts', 'chart-0-right.png')));
      const wrong = decodePng(await readFile(join(one, 'charts', 'chart-0-mislabelled.png')));
      expect([right.width, right.height]).toEqual([220, 160]);
      expect(readWords(right).sort()).toEqual(['MONTH', 'REVENUE', 'SALES']);
      expect(readWords(wrong).sort()).toEqual(['COST', 'MONTH', 'SALES']);
      // Round trip through the encoder: the decoded pixels encode to the same bytes.
      expect(encodePng(right).equals(await readFile(join(one, 'charts', 'chart-0-right.png')))).toBe(true);
    } finally {
      await rm(one, { recursive: true, force: true });
      await rm(two, { recursive: true, force: true });
    }
  });

  it('npm run demo:pairwise judges text, JSON and chart pairs in both orders and the mislabelled charts lose', async () => {
    const result = await runDemo({ GAVEL_DATA_DIR: dataDir });
    expect(result.code, result.stderr).toBe(0);
    const records = (await readFile(join(dataDir, 'demo-pairwise', 'demo-pairwise.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(Object.keys(DEMO_EXPECTED).length);
    for (const r of records) {
      expect(r.verdict.pairwise.outcome, r.sample_id).toBe(DEMO_EXPECTED[r.sample_id]);
      expect(r.verdict.pairwise.consistent, r.sample_id).toBe(true);
      expect(r.verdict.pairwise.orders.map((o: { first: string }) => o.first)).toEqual(['a', 'b']);
    }
    // The chart verdicts were decided from the lettering read off the image bytes.
    const chart3 = records.find((r) => r.sample_id === 'chart-3');
    expect(JSON.stringify(chart3.verdict.pairwise.orders)).toContain('COST');
    const chart0 = records.find((r) => r.sample_id === 'chart-0');
    expect(chart0.facts.pair.a.structured ?? null).toBeNull();
    const json1 = records.find((r) => r.sample_id === 'json-1');
    expect(json1.facts.pair.a.structured.field_match).toMatchObject({ matched: 2, total: 3, different: ['born'] });
    // By hand from DEMO_EXPECTED: B 9, A 2, tie 3 → (9 + 1.5) / 14 = 75%; sign test 9 vs 2:
    // 2 · (C(11,0) + C(11,1) + C(11,2)) / 2^11 = 2 · 67 / 2048 = 0.0654.
    expect(result.stdout).toContain('pairs: 14 (A 2, B 9, tie 3, inconsistent 0; 0 settled by the arbiter)');
    expect(result.stdout).toContain('position consistency (judge health): 100.0% (14/14');
    expect(result.stdout).toContain('win rate of demo-writer-1.1 (B) over demo-writer-1.0 (A): 75.0% [95% CI');
    expect(result.stdout).toContain(`sign test p = ${((2 * 67) / 2048).toFixed(4)}`);
  });
});
