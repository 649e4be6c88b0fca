/**
 * Review matrix benchmark: a 10k-sample run reviewed against a 10k-sample base (realistic facts,
 * four criteria, self-consistency, routing and arbitration), rendered by `reviewHtml`, then opened
 * from file:// in headless Chromium. Figures, each beside its same-run baseline:
 *   - the HTML file's size (and gzipped) against the same run's `gavel export` JSONL;
 *   - time to first render (first matrix row visible, from navigation start) against the same
 *     records as one plain server-rendered <table> of every row (first row visible), both the median
 *     of several cold page loads;
 *   - a filter (#filter=flips) and a sort applied in the page, against re-rendering with no change.
 * With `--screenshots`, writes docs/review-overview.png, docs/review-flips.png, docs/review-detail.png.
 *
 *   node --conditions=@gavel/source --import tsx test/bench/review-10k.ts [--samples 10000] [--loads 5] [--screenshots]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { compareRuns, reviewComparisonView, reviewHtml, reviewMatrix } from '@gavel/report';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.ts';
import { ROOT } from '../support/gavel.ts';
import { syntheticRun } from '../support/synthetic-run.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000' },
    loads: { type: 'string', default: '5' },
    screenshots: { type: 'boolean', default: false },
  },
});
const N = Number(values.samples);
const LOADS = Number(values.loads);
const emit = (figure: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

const base = syntheticRun({ runId: 'bench-base', n: N, seed: 11, passRate: 0.7, noiseSeed: 1 });
const candidate = syntheticRun({
  runId: 'bench-candidate',
  n: N,
  seed: 11,
  passRate: 0.72,
  noiseSeed: 2,
  sut: { model: 'sut-upgrade-8b', family: 'sutfam', precision: 'bf16' },
});

const renderStarted = performance.now();
const comparison = compareRuns(base, candidate);
const view = reviewComparisonView(base, candidate, comparison);
const html = reviewHtml({ run: candidate, comparison: view });
const renderMs = performance.now() - renderStarted;

// Baseline page: the same matrix cells as one plain table, no script, every row in the DOM.
const escapeText = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const matrix = reviewMatrix(candidate, { base: view.base });
const plain = `<!doctype html><html><head><meta charset="utf-8"><title>plain table</title></head><body><table><thead><tr>${matrix.columns
  .map((c) => `<th>${escapeText(c.label)}</th>`)
  .join('')}</tr></thead><tbody>${matrix.rows
  .map(
    (r) =>
      `<tr data-sample="${escapeText(r.sample_id)}">${r.cells.map((v) => `<td>${v === null ? '' : escapeText(String(v))}</td>`).join('')}</tr>`,
  )
  .join('')}</tbody></table></body></html>`;
const exportJsonl = `${candidate.records.map((r) => JSON.stringify(r)).join('\n')}\n`;

const dir = await mkdtemp(join(tmpdir(), 'gavel-review-bench-'));
const reviewPath = join(dir, 'review.html');
const plainPath = join(dir, 'plain.html');
await writeFile(reviewPath, html);
await writeFile(plainPath, plain);

emit({
  figure: 'review_10k_file_bytes',
  samples: N,
  html_bytes: Buffer.byteLength(html),
  html_gzip_bytes: gzipSync(html).length,
  baseline_export_jsonl_bytes: Buffer.byteLength(exportJsonl),
  baseline_plain_table_bytes: Buffer.byteLength(plain),
  render_in_node_ms: round(renderMs),
  regressions: comparison.regressions.length,
  fixes: comparison.fixes.length,
});

/** Milliseconds from navigation start until `selector` is visible, in a fresh page. */
async function firstRender(page: Page, url: string, selector: string): Promise<number> {
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector(selector, { state: 'visible', timeout: 120_000 });
  return page.evaluate('performance.now()') as Promise<number>;
}

const browser = await launchChromium();
try {
  const review: number[] = [];
  const table: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    for (const [url, selector, into] of [
      [pathToFileURL(reviewPath).href, '.row', review],
      [pathToFileURL(plainPath).href, 'tbody tr', table],
    ] as const) {
      const page = await browser.context.newPage();
      into.push(await firstRender(page, url, selector));
      await page.close();
    }
  }
  emit({
    figure: 'review_10k_first_render_ms',
    samples: N,
    loads: LOADS,
    review_matrix_ms: round(median(review)),
    baseline_plain_table_ms: round(median(table)),
    review_all_ms: review.map((x) => round(x)),
    baseline_all_ms: table.map((x) => round(x)),
  });

  // Interaction: time from a state change to the re-rendered rows, measured in the page.
  const page = await browser.context.newPage();
  await page.goto(pathToFileURL(reviewPath).href);
  await page.waitForSelector('body[data-ready="true"]');
  const timed = (action: string) =>
    page.evaluate(`(async () => {
      const t = performance.now();
      ${action};
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t;
    })()`) as Promise<number>;
  const idle = await timed('window.dispatchEvent(new HashChangeEvent("hashchange"))');
  const filter = await timed('location.hash = "#filter=flips"');
  const clear = await timed('location.hash = "#"');
  const sort = await timed('document.querySelector(\'button[data-col="score"]\').click()');
  const search = await timed('location.hash = "#q=" + encodeURIComponent("last window is dropped")');
  emit({
    figure: 'review_10k_interaction_ms',
    samples: N,
    filter_flips_ms: round(filter),
    clear_filter_ms: round(clear),
    sort_by_score_ms: round(sort),
    full_text_search_ms: round(search),
    baseline_rerender_unchanged_ms: round(idle),
  });

  if (values.screenshots) {
    const docs = join(ROOT, 'docs');
    const shot = await browser.context.newPage();
    await shot.setViewportSize({ width: 1440, height: 1500 });
    await shot.goto(pathToFileURL(reviewPath).href);
    await shot.waitForSelector('body[data-ready="true"]');
    await shot.screenshot({ path: join(docs, 'review-overview.png') });
    await shot.goto(`${pathToFileURL(reviewPath).href}#filter=flips`);
    await shot.reload();
    await shot.waitForSelector('body[data-ready="true"]');
    await shot.locator('#matrix').scrollIntoViewIfNeeded();
    await shot.screenshot({ path: join(docs, 'review-flips.png') });
    const regression = comparison.regressions.find((r) => {
      const rec = candidate.records.find((c) => c.sample_id === r.candidate_sample_id);
      return (rec?.facts?.tests?.failed ?? 0) > 0 && (rec?.facts?.ruff?.errors ?? 0) > 0;
    });
    await shot.goto(
      `${pathToFileURL(reviewPath).href}#filter=regressions&sample=${regression?.candidate_sample_id ?? ''}`,
    );
    await shot.reload();
    await shot.waitForSelector('#detail:not([hidden])');
    await shot.setViewportSize({ width: 1440, height: 1100 });
    await shot.screenshot({ path: join(docs, 'review-detail.png') });
    emit({ figure: 'review_10k_screenshots', files: ['review-overview.png', 'review-flips.png', 'review-detail.png'] });
  }
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}
