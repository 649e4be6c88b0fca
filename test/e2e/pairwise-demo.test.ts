import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWords } from '../pairwise-demo/font.ts';
import { DEMO_EXPECTED, makePairwiseDemo } from '../pairwise-demo/make-dataset.ts';
import { decodePng, encodePng } from '../pairwise-demo/png.ts';
import { launchChromium } from '../support/chromium.ts';
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

  it("the demo's review matrix shows a chart pair side by side, both charts decoded from the image store's bytes", async () => {
    // The page `gavel review demo-pairwise` wrote in the test above, from the run in Redis.
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${pathToFileURL(join(dataDir, 'demo-pairwise', 'review.html')).href}#sample=chart-3`);
      await page.waitForSelector('#detail:not([hidden]) .pair-sides');
      const images = await page.evaluate(`(async () => {
        const imgs = [...document.querySelectorAll('#detail .pair-side img')];
        await Promise.all(imgs.map((img) => img.decode()));
        return imgs.map((img) => ({
          side: img.closest('.pair-side').dataset.side,
          sha256: img.dataset.sha256,
          width: img.naturalWidth,
          height: img.naturalHeight,
        }));
      })()`);
      const chart3 = (await readFile(join(dataDir, 'demo-pairwise', 'demo-pairwise.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((r) => r.sample_id === 'chart-3');
      const shaOf = (side: 'a' | 'b') => chart3.outputs[side].find((p: { type: string }) => p.type === 'image').sha256;
      // The charts are 220 × 160 px (make-dataset.ts), decoded by Chromium from the embedded bytes.
      expect(images).toEqual([
        { side: 'a', sha256: shaOf('a'), width: 220, height: 160 },
        { side: 'b', sha256: shaOf('b'), width: 220, height: 160 },
      ]);
      const text = await page.locator('#detail').textContent();
      for (const order of chart3.verdict.pairwise.orders) expect(text).toContain(order.rationale);
      expect(text).toContain(`Pair: outcome ${chart3.verdict.pairwise.outcome}`);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
