/**
 * Renders the demo's bar chart: axes, one bar per value, a title and both axis labels lettered in
 * font.ts. Two renderings of the same data differ in their palette and, when asked, in a
 * mislabelled y axis.
 */
import { drawText, GLYPH_H, GLYPH_W } from './font.ts';
import { encodePng, type Raster } from './png.ts';

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  values: readonly number[];
  /** Bar colour (RGB); never pure black, the lettering's ink. */
  bar: readonly [number, number, number];
}

const W = 220;
const H = 160;
const SCALE = 2;

function fill(r: Raster, x0: number, y0: number, w: number, h: number, rgb: readonly number[]): void {
  for (let y = y0; y < y0 + h; y += 1) for (let x = x0; x < x0 + w; x += 1) r.pixels.set(rgb, (y * r.width + x) * 3);
}

export function renderChart(spec: ChartSpec): Buffer {
  const r: Raster = { width: W, height: H, pixels: new Uint8Array(W * H * 3).fill(255) };
  const textW = (s: string) => s.length * (GLYPH_W + 1) * SCALE;
  drawText(r, spec.title, Math.floor((W - textW(spec.title)) / 2), 4, SCALE);
  const left = 30;
  const bottom = H - 30;
  const top = 4 + GLYPH_H * SCALE + 24;
  const axis = [64, 64, 64] as const;
  fill(r, left, top, 2, bottom - top, axis);
  fill(r, left, bottom, W - left - 10, 2, axis);
  drawText(r, spec.yLabel, 4, top - GLYPH_H * SCALE - 4, SCALE);
  drawText(r, spec.xLabel, Math.floor((W - textW(spec.xLabel)) / 2), bottom + 8, SCALE);
  const max = Math.max(...spec.values, 1);
  const slot = Math.floor((W - left - 20) / spec.values.length);
  for (const [i, v] of spec.values.entries()) {
    const h = Math.round((v / max) * (bottom - top - 4));
    fill(r, left + 6 + i * slot, bottom - h, slot - 6, h, spec.bar);
  }
  return encodePng(r);
}
