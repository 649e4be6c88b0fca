import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExportRecord, RunRecords } from '@gavel/report';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { gavel } from '../support/gavel.ts';
import { syntheticRun } from '../support/synthetic-run.ts';

const HOSTILE = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
const N = 400;

let dir: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let url: string;
let base: RunRecords;
let candidate: RunRecords;
let hostileId: string;

async function writeExport(path: string, run: RunRecords): Promise<void> {
  await writeFile(path, `${run.records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  await writeFile(`${path}.manifest.json`, JSON.stringify(run.manifest));
}

/** The flips, counted here from the two runs (one sample per task): base pass → candidate fail, and back. */
function expectedFlips(): { regressions: string[]; fixes: string[] } {
  const byTask = new Map(base.records.map((r) => [r.task_id, r]));
  const regressions: string[] = [];
  const fixes: string[] = [];
  for (const c of candidate.records) {
    const b = byTask.get(c.task_id);
    if (!b?.verdict || !c.verdict) continue;
    if (b.verdict.pass && !c.verdict.pass) regressions.push(c.sample_id);
    if (!b.verdict.pass && c.verdict.pass) fixes.push(c.sample_id);
  }
  return { regressions, fixes };
}

/** Every sample id the virtual matrix shows for the current filters, scrolling it from top to bottom. */
async function allShownIds(page: Page): Promise<string[]> {
  // In-page code as a string: the tests compile without the DOM library.
  return page.evaluate(`(async () => {
    const viewport = document.getElementById('viewport');
    const seen = new Set();
    viewport.scrollTop = 0;
    for (;;) {
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      for (const row of document.querySelectorAll('.row')) seen.add(row.dataset.sample);
      if (viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - 1) break;
      viewport.scrollTop += viewport.clientHeight / 2;
    }
    return [...seen];
  })()`);
}

async function open(hash = ''): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${url}${hash}`);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, requests, errors };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gavel-review-'));
  base = syntheticRun({ runId: 'base-run', n: N, seed: 3, passRate: 0.7, noiseSeed: 1 });
  candidate = syntheticRun({ runId: 'cand-run', n: N, seed: 3, passRate: 0.72, noiseSeed: 2 });
  const hostile = candidate.records.find((r) => r.verdict && !r.verdict.pass) as ExportRecord;
  hostileId = hostile.sample_id;
  hostile.output = `def f():\n    return 1\n${HOSTILE}\n`;
  // \u001b and \u0000 are not allowed in XML 1.0: the JUnit file drops them, the page shows the rest
  (hostile.verdict as NonNullable<ExportRecord['verdict']>).rationale = `rationale ${HOSTILE}\u001b\u0000`;
  hostile.prompt = `prompt ${HOSTILE}`;
  await writeExport(join(dir, 'base.jsonl'), base);
  await writeExport(join(dir, 'cand.jsonl'), candidate);
  const out = join(dir, 'review.html');
  const result = await gavel(
    [
      'review',
      '--from-export',
      join(dir, 'cand.jsonl'),
      '--against',
      join(dir, 'base.jsonl'),
      '--out',
      out,
      '--csv',
      join(dir, 'review.csv'),
      '--junit',
      join(dir, 'review.xml'),
    ],
    {},
  );
  expect(result.stderr).toContain(`${N} sample(s) of run cand-run`);
  expect(result.code).toBe(0);
  url = pathToFileURL(out).href;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('gavel review in headless Chromium', () => {
  it('keeps an output carrying </script><script> and <img onerror> inert and shows it literally', async () => {
    const { page, errors } = await open(`#sample=${hostileId}`);
    await page.waitForSelector('#detail:not([hidden])');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    const code = await page.locator('#detail table.code').textContent();
    expect(code).toContain(HOSTILE);
    expect(await page.locator('#detail table.code td.ln').allTextContents()).toEqual(['1', '2', '3', '4']);
    expect(await page.locator('#detail').textContent()).toContain(`prompt ${HOSTILE}`);
    expect(await page.locator('#detail').textContent()).toContain(`rationale ${HOSTILE}`);
    // searching for it finds the one sample and renders the id as text
    await page.fill('#search', 'window.__pwned=1');
    await expect.poll(() => page.locator('#count').textContent()).toBe(`1 of ${N} samples`);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('makes no network request: the file itself is the only thing loaded', async () => {
    const { page, requests } = await open('#filter=flips');
    await page.click('.row');
    await page.waitForSelector('#detail:not([hidden])');
    expect(requests).toEqual([url.split('#')[0]]);
    await page.close();
  });

  it('opened at #filter=flips shows exactly the flips, and #filter=regressions exactly the regressions', async () => {
    const { regressions, fixes } = expectedFlips();
    expect(regressions.length).toBeGreaterThan(5);
    expect(fixes.length).toBeGreaterThan(5);
    const flips = await open('#filter=flips');
    await expect
      .poll(() => flips.page.locator('#count').textContent())
      .toBe(`${regressions.length + fixes.length} of ${N} samples`);
    expect((await allShownIds(flips.page)).sort()).toEqual([...regressions, ...fixes].sort());
    await flips.page.close();
    const only = await open('#filter=regressions');
    expect((await allShownIds(only.page)).sort()).toEqual([...regressions].sort());
    for (const text of await only.page.locator('.row span:nth-child(7)').allTextContents())
      expect(text).toBe('regression');
    await only.page.close();
  });

  it('filter buttons, a criterion threshold and the search write the fragment, and a reload restores them', async () => {
    const { page } = await open();
    const routed = candidate.records.filter((r) => (r.judge_verdict ?? r.verdict)?.route === 'arbiter');
    await page.click('button[data-filter="routed"]');
    expect(await page.evaluate('location.hash')).toBe('#filter=routed');
    expect(await page.locator('#count').textContent()).toBe(`${routed.length} of ${N} samples`);
    await page.selectOption('#crit', 'correctness');
    await page.fill('#below', '0.3');
    const low = routed.filter((r) => {
      const s = r.verdict?.criteria.find((c) => c.id === 'correctness')?.score;
      return s !== undefined && s < 0.3;
    });
    await expect.poll(() => page.locator('#count').textContent()).toBe(`${low.length} of ${N} samples`);
    expect(await page.evaluate('location.hash')).toBe('#filter=routed&crit=correctness&below=0.3');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#count').textContent()).toBe(`${low.length} of ${N} samples`);
    expect(await page.locator('button[data-filter="routed"]').getAttribute('aria-pressed')).toBe('true');
    expect(await page.inputValue('#below')).toBe('0.3');
    await page.click('#clear');
    expect(await page.evaluate('location.hash')).toBe('');
    const id = candidate.records[317]?.sample_id as string;
    await page.fill('#search', id);
    await expect.poll(() => page.locator('#count').textContent()).toBe(`1 of ${N} samples`);
    expect(await page.locator('.row span:nth-child(2)').allTextContents()).toEqual([id]);
    await page.close();
  });

  it('sorts by any column, both ways', async () => {
    const { page } = await open();
    const scores = candidate.records.flatMap((r) => (r.verdict ? [r.verdict.score] : []));
    await page.click('button[data-col="score"]');
    expect(await page.evaluate('location.hash')).toBe('#sort=score&dir=asc');
    expect(Number(await page.locator('.row span:nth-child(4)').first().textContent())).toBe(Math.min(...scores));
    await page.click('button[data-col="score"]');
    expect(Number(await page.locator('.row span:nth-child(4)').first().textContent())).toBe(Math.max(...scores));
    await page.click('button[data-col="sample_id"]');
    const ids = candidate.records.map((r) => r.sample_id).sort();
    expect(await page.locator('.row span:nth-child(2)').first().textContent()).toBe(ids[0]);
    await page.close();
  });

  it('a click on a row opens its detail: prompt, numbered output, tests with messages, diagnostics, rationales, self-consistency', async () => {
    const target = candidate.records.find(
      (r) =>
        r.sample_id !== hostileId &&
        r.verdict?.arbitration === 'done' &&
        (r.facts?.tests?.failed ?? 0) > 0 &&
        (r.facts?.ruff?.errors ?? 0) + (r.facts?.pyright?.errors ?? 0) > 0,
    ) as ExportRecord;
    expect(target).toBeDefined();
    const { page } = await open(`#q=${target.sample_id}`);
    await page.click(`.row[data-sample="${target.sample_id}"]`);
    await page.waitForSelector('#detail:not([hidden])');
    expect(await page.evaluate('location.hash')).toBe(`#q=${target.sample_id}&sample=${target.sample_id}`);
    const text = await page.locator('#detail').textContent();
    expect(text).toContain(target.prompt?.split('\n')[3]);
    const lines = (target.output as string).split('\n');
    expect(await page.locator('#detail table.code td.ln').count()).toBe(lines.length);
    const failing = target.facts?.tests?.cases.find((c) => c.outcome === 'failed');
    expect(text).toContain(failing?.message);
    const diagnostic = [...(target.facts?.ruff?.diagnostics ?? []), ...(target.facts?.pyright?.diagnostics ?? [])][0];
    expect(text).toContain(diagnostic?.message);
    expect(text).toContain(target.verdict?.judge_verdict?.rationale);
    expect(text).toContain(target.verdict?.rationale);
    expect(text).toContain('Self-consistency');
    const agreement = await page.evaluate(
      `[...document.querySelectorAll('#detail dt')].find((dt) => dt.textContent === 'agreement')?.nextElementSibling?.textContent`,
    );
    expect(agreement).toBe(target.judge_verdict?.consistency?.agreement.toFixed(3));
    await page.keyboard.press('Escape');
    expect(await page.locator('#detail').isHidden()).toBe(true);
    expect(await page.evaluate('location.hash')).toBe(`#q=${target.sample_id}`);
    await page.close();
  });

  it('writes JUnit XML a strict XML parser reads back and a CSV with one record per sample', async () => {
    const xml = await readFile(join(dir, 'review.xml'), 'utf8');
    const page = await browser.context.newPage();
    const parsed = await page.evaluate(`(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(xml)}, 'application/xml');
      const failures = [...doc.querySelectorAll('testcase > failure')];
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        testcases: doc.querySelectorAll('testcase').length,
        failures: failures.length,
        errors: doc.querySelectorAll('testcase > error').length,
        hostile: failures.map((f) => f.textContent ?? '').find((t) => t.includes('__pwned')) ?? null,
      };
    })()`);
    await page.close();
    const graded = candidate.records.filter((r) => r.verdict);
    expect(parsed).toEqual({
      error: null,
      testcases: N,
      failures: graded.filter((r) => !r.verdict?.pass).length,
      errors: N - graded.length,
      hostile: `rationale ${HOSTILE}`,
    });
    const csv = await readFile(join(dir, 'review.csv'), 'utf8');
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(N + 1);
    expect(csv.split('\r\n')[0]).toMatch(
      /^task_id,sample_id,verdict,score,base_verdict,base_score,flip,crit:correctness,/,
    );
  });
});

describe('gavel review --against on different rubrics', () => {
  it('refuses naming both hashes, and with --allow-rubric-change marks the page not like for like', async () => {
    const other = { id: 'code-correctness', version: '1.3.0', hash: 'f'.repeat(64) };
    const changed: RunRecords = {
      manifest: { ...(candidate.manifest as NonNullable<RunRecords['manifest']>), rubrics: { code: other } },
      records: candidate.records.map((r) => ({ ...r, rubric: other })),
    };
    await writeExport(join(dir, 'changed.jsonl'), changed);
    const args = ['review', '--from-export', join(dir, 'changed.jsonl'), '--against', join(dir, 'base.jsonl')];
    const refused = await gavel([...args, '--out', join(dir, 'refused.html')], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gavel review: rubric mismatch');
    expect(refused.stderr).toContain('a'.repeat(64));
    expect(refused.stderr).toContain('f'.repeat(64));
    const allowed = await gavel([...args, '--out', join(dir, 'allowed.html'), '--allow-rubric-change'], {});
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(await readFile(join(dir, 'allowed.html'), 'utf8')).toContain(
      'The rubrics differ (--allow-rubric-change): no figure here compares like for like.',
    );
  });
});
