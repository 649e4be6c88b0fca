import { escapeHtml } from './html-text.ts';

/** A bar of a 0..1 quantity (a mean score, a pass rate), with the count it is over. */
export interface BarItem {
  label: string;
  value: number;
  n: number;
}

/** A difference with its 95% interval, drawn as a point with whiskers about zero. */
export interface DeltaItem {
  label: string;
  delta: number;
  ci95: readonly [number, number] | null;
}

const FONT = 'font-family="system-ui, sans-serif" font-size="11"';

function svg(title: string, width: number, height: number, body: string[]): string {
  const t = escapeHtml(title);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${t}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${t}</title><text x="0" y="12" ${FONT} font-weight="600" fill="#222">${t}</text>${body.join('')}</svg>`;
}

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** Histogram of scores in [0, 1] over `bins` equal bins (a score of 1 falls in the last). */
export function scoreHistogram(scores: readonly number[], bins = 10): string {
  const counts = new Array<number>(bins).fill(0);
  for (const s of scores) counts[Math.min(bins - 1, Math.max(0, Math.floor(s * bins)))]! += 1;
  const width = 360;
  const height = 170;
  const top = 22;
  const plot = height - top - 22;
  const max = Math.max(1, ...counts);
  const barW = (width - 20) / bins;
  const body: string[] = [];
  counts.forEach((count, i) => {
    const h = (count / max) * plot;
    const x = 10 + i * barW;
    body.push(
      `<rect x="${fmt(x + 1, 1)}" y="${fmt(top + plot - h, 1)}" width="${fmt(barW - 2, 1)}" height="${fmt(h, 1)}" fill="#4a78c2"><title>${fmt(i / bins, 1)}–${fmt((i + 1) / bins, 1)}: ${count}</title></rect>`,
      `<text x="${fmt(x + barW / 2, 1)}" y="${fmt(top + plot - h - 2, 1)}" ${FONT} text-anchor="middle" fill="#333">${count}</text>`,
    );
  });
  for (const tick of [0, 0.5, 1])
    body.push(
      `<text x="${fmt(10 + tick * (width - 20), 1)}" y="${height - 6}" ${FONT} text-anchor="middle" fill="#555">${tick}</text>`,
    );
  return svg(`score distribution (n = ${scores.length})`, width, height, body);
}

/** Horizontal bars of 0..1 values, one per item, each labelled with its value and count. */
export function barChart(title: string, items: readonly BarItem[]): string {
  const width = 360;
  const rowH = 20;
  const top = 22;
  const labelW = 130;
  const plotW = width - labelW - 70;
  const body = items.map((item, i) => {
    const y = top + i * rowH;
    const w = Math.max(0, Math.min(1, item.value)) * plotW;
    return `<text x="${labelW - 6}" y="${y + 14}" ${FONT} text-anchor="end" fill="#333">${escapeHtml(item.label)}</text><rect x="${labelW}" y="${y + 3}" width="${plotW}" height="${rowH - 6}" fill="#eef1f6"/><rect x="${labelW}" y="${y + 3}" width="${fmt(w, 1)}" height="${rowH - 6}" fill="#4a78c2"/><text x="${labelW + plotW + 6}" y="${y + 14}" ${FONT} fill="#333">${fmt(item.value)} (${item.n})</text>`;
  });
  return svg(title, width, top + Math.max(1, items.length) * rowH + 6, body);
}

/**
 * Differences with 95% whiskers on a scale symmetric about zero: a point right of the zero line is an
 * increase. `higherIsBetter` colours points (green better, red worse); a whisker crossing zero is grey.
 */
export function deltaChart(
  title: string,
  items: readonly DeltaItem[],
  higherIsBetter: readonly boolean[] = [],
): string {
  const width = 470;
  const rowH = 20;
  const top = 22;
  const labelW = 200;
  const plotW = width - labelW - 90;
  const extent = Math.max(
    1e-9,
    ...items.flatMap((i) => [Math.abs(i.delta), Math.abs(i.ci95?.[0] ?? 0), Math.abs(i.ci95?.[1] ?? 0)]),
  );
  const x = (v: number): number => labelW + plotW / 2 + (v / extent) * (plotW / 2);
  const height = top + Math.max(1, items.length) * rowH + 6;
  const body: string[] = [
    `<line x1="${fmt(x(0), 1)}" y1="${top}" x2="${fmt(x(0), 1)}" y2="${height - 4}" stroke="#888" stroke-dasharray="3 2"/>`,
  ];
  items.forEach((item, i) => {
    const y = top + i * rowH + rowH / 2;
    const ci = item.ci95;
    const significant = ci !== null && (ci[0] > 0 || ci[1] < 0);
    const better = (higherIsBetter[i] ?? true) ? item.delta > 0 : item.delta < 0;
    const colour = !significant ? '#777' : better ? '#2a8a3e' : '#c23b3b';
    body.push(
      `<text x="${labelW - 6}" y="${y + 4}" ${FONT} text-anchor="end" fill="#333">${escapeHtml(item.label)}</text>`,
    );
    if (ci)
      body.push(
        `<line x1="${fmt(x(ci[0]), 1)}" y1="${y}" x2="${fmt(x(ci[1]), 1)}" y2="${y}" stroke="${colour}" stroke-width="2"/><line x1="${fmt(x(ci[0]), 1)}" y1="${y - 4}" x2="${fmt(x(ci[0]), 1)}" y2="${y + 4}" stroke="${colour}"/><line x1="${fmt(x(ci[1]), 1)}" y1="${y - 4}" x2="${fmt(x(ci[1]), 1)}" y2="${y + 4}" stroke="${colour}"/>`,
      );
    body.push(
      `<circle cx="${fmt(x(item.delta), 1)}" cy="${y}" r="3.5" fill="${colour}"><title>${escapeHtml(item.label)}: ${fmt(item.delta, 3)}${ci ? ` [${fmt(ci[0], 3)}, ${fmt(ci[1], 3)}]` : ''}</title></circle>`,
      `<text x="${labelW + plotW + 6}" y="${y + 4}" ${FONT} fill="#333">${item.delta > 0 ? '+' : ''}${fmt(item.delta, 3)}</text>`,
    );
  });
  return svg(title, width, height, body);
}
