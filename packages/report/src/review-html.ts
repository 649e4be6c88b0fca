import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { escapeHtml, jsonForScriptElement } from './html-text.ts';
import { type SampleDetail, sampleDetail } from './review-detail.ts';
import { manifestItems, summaryFigures } from './review-header.ts';
import { type ReviewImageBytes, type ReviewImageProblem, reviewImageUrls } from './review-images.ts';
import { type MatrixBase, type ReviewMatrix, reviewMatrix } from './review-matrix.ts';
import { runSummary } from './review-summary.ts';
import type { ExportRecord, RunRecords } from './run-records.ts';
import { barChart, scoreHistogram } from './svg-charts.ts';

let assets: { script: string; style: string } | undefined;

/**
 * The page's own script and style sheet, read once: static files in this package's `src/`, found from
 * where the package resolves (its `src/index.ts` or `dist/index.js`), not from this module's own place —
 * bundled into an app (apps/<app>/bundle/), this code runs from a chunk there (and tsc copies no asset).
 */
function pageAssets(): { script: string; style: string } {
  if (!assets) {
    const packageEntry = import.meta.resolve('@gavel/report');
    // One script element: the view state and the detail builder first (`window.gavelView`,
    // `window.gavelDom`), then the page that uses them.
    const read = (name: string) => readFileSync(new URL(`../src/${name}`, packageEntry), 'utf8');
    const script = ['review-page-view.js', 'review-page-detail.js', 'review-page.js'].map(read).join('\n');
    const style = read('review-page.css');
    // Inlined as raw text: neither may contain its own end tag.
    if (/<\/script/i.test(script) || /<\/style/i.test(style))
      throw new Error("the review page's scripts and style sheet must not contain </script or </style");
    assets = { script, style };
  }
  return assets;
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** What the page adds when it compares the run against a base: its figures, charts, pairing and flips. */
export interface ReviewComparisonView {
  base: MatrixBase;
  /** Header HTML (already escaped) with the comparison's figures and decision. */
  headerHtml: string;
  /** Chart SVGs (already escaped): per-criterion and per-fact deltas. */
  chartsHtml: string[];
  title: string;
}

export interface ReviewPageInput {
  run: RunRecords;
  comparison?: ReviewComparisonView;
  /**
   * The bytes of the images the run's pairs show, by sha256, from the image store. Each is embedded
   * once as a data URL (see {@link reviewImageUrls}); an image absent here shows as its marker.
   */
  images?: ReviewImageBytes;
  /** Told which images were left out and why (not a PNG/JPEG/WebP, a hash mismatch, over the budget). */
  onImageProblems?: (problems: ReviewImageProblem[]) => void;
}

/**
 * The data the page's script reads: the matrix (columns, criteria and, per row, its sample id, cells
 * and tags), and apart from it each row's detail, which the page parses only when first needed.
 */
export function reviewData(
  run: RunRecords,
  matrix: ReviewMatrix,
  base?: MatrixBase,
): { matrix: unknown; details: SampleDetail[] } {
  const byId = new Map<string, ExportRecord>(run.records.map((r) => [r.sample_id, r]));
  return {
    matrix: {
      columns: matrix.columns,
      criteria: matrix.criteria,
      has_base: base !== undefined,
      rows: matrix.rows.map((row) => ({ id: row.sample_id, c: row.cells, t: row.tags })),
    },
    details: matrix.rows.map((row) =>
      sampleDetail(
        byId.get(row.sample_id) as ExportRecord,
        base?.pairOf(row.sample_id),
        base?.changedFacts(row.sample_id),
      ),
    ),
  };
}

/**
 * The review matrix as one self-contained HTML file: inline CSS, JS and SVG, no request to anywhere
 * (a Content-Security-Policy of `default-src 'none'` with the script and style sheet allowed by hash
 * only), opens from `file://`. The data is embedded once as JSON in two `<script type="application/json">`
 * elements (the matrix, and the details parsed on first use), escaped so no sample text can close them;
 * the page's script writes sample text through `textContent` only and renders the visible rows of the
 * matrix alone, so 10k samples stay usable. Pair images are embedded once each as `data:` URLs of a
 * raster type read from their bytes (`img-src data:` only; never SVG, never a URL from a record).
 */
export function reviewHtml(input: ReviewPageInput): string {
  const { script, style } = pageAssets();
  const { run, comparison } = input;
  const matrix = reviewMatrix(run, { base: comparison?.base });
  const summary = runSummary(run);
  const data = reviewData(run, matrix, comparison?.base);
  const { urls, problems } = reviewImageUrls(input.images ?? new Map());
  input.onImageProblems?.(problems);
  const runId = run.manifest?.run_id ?? run.records[0]?.run_id ?? 'run';
  const title = comparison ? comparison.title : `gavel review — run ${runId}`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const charts = [
    scoreHistogram(summary.scores),
    barChart('mean score per criterion', summary.criteria),
    barChart('pass rate by route', summary.by_route),
    ...(comparison?.chartsHtml ?? []),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header class="page">
<h1>${escapeHtml(title)}</h1>
<dl class="meta">${manifestItems(run).join('')}</dl>
<div class="figures">${summaryFigures(summary).join('')}</div>
${comparison?.headerHtml ?? ''}
</header>
<section class="charts" aria-label="charts">${charts.join('')}</section>
<main id="matrix">
<div class="toolbar"><span id="filters"></span><select id="crit" aria-label="criterion"></select><label>below <input id="below" type="number" step="0.05" min="0" max="1"></label><input id="search" type="search" placeholder="search ids, rationales, output" aria-label="search"><button id="clear" type="button">clear</button><span id="count" class="count"></span></div>
<div id="viewport" class="viewport"><div id="grid-head" class="grid-head" role="row"></div><div id="grid-body" class="body"></div></div>
</main>
<aside id="detail" hidden aria-label="sample detail"><button id="detail-close" class="close" type="button">close ✕</button><div id="detail-content"></div></aside>
<script type="application/json" id="gavel-data">${jsonForScriptElement(data.matrix)}</script>
<script type="application/json" id="gavel-details">${jsonForScriptElement(data.details)}</script>
<script type="application/json" id="gavel-images">${jsonForScriptElement(urls)}</script>
<script>${script}</script>
</body>
</html>
`;
}
