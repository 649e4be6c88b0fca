/**
 * A 5×7 bitmap font (capital letters) the demo's charts are lettered in, and a reader for it: what
 * the fake vision judge uses to read an image's labels from its pixels, as a vision model would.
 */
import type { Raster } from './png.ts';

const GLYPHS: Record<string, readonly string[]> = {
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
};

export const GLYPH_W = 5;
export const GLYPH_H = 7;

/** Ink: the colour text is drawn in (bars and axes use other colours). */
export const INK: readonly [number, number, number] = [0, 0, 0];

function isInk(r: Raster, x: number, y: number): boolean {
  if (x < 0 || y < 0 || x >= r.width || y >= r.height) return false;
  const i = (y * r.width + x) * 3;
  return r.pixels[i] === INK[0] && r.pixels[i + 1] === INK[1] && r.pixels[i + 2] === INK[2];
}

/** Draws `text` (letters of this font, spaces) with its top-left corner at (x, y), each font pixel `scale`² pixels. */
export function drawText(r: Raster, text: string, x: number, y: number, scale: number): void {
  for (const [k, ch] of [...text].entries()) {
    const glyph = GLYPHS[ch];
    if (ch !== ' ' && !glyph) throw new Error(`no glyph for ${JSON.stringify(ch)}`);
    for (const [gy, row] of (glyph ?? []).entries()) {
      for (const [gx, cell] of [...row].entries()) {
        if (cell !== '#') continue;
        for (let dy = 0; dy < scale; dy += 1)
          for (let dx = 0; dx < scale; dx += 1) {
            const px = x + (k * (GLYPH_W + 1) + gx) * scale + dx;
            const py = y + gy * scale + dy;
            r.pixels.set(INK, (py * r.width + px) * 3);
          }
      }
    }
  }
}

/** Whether `glyph` stands at (x, y) at this scale, exactly, with no ink in the cell column after it. */
function glyphAt(r: Raster, glyph: readonly string[], x: number, y: number, scale: number): boolean {
  for (let gy = 0; gy < GLYPH_H; gy += 1)
    for (let gx = 0; gx <= GLYPH_W; gx += 1) {
      const want = gx < GLYPH_W && glyph[gy]?.[gx] === '#';
      for (let dy = 0; dy < scale; dy += 1)
        for (let dx = 0; dx < scale; dx += 1)
          if (isInk(r, x + gx * scale + dx, y + gy * scale + dy) !== want) return false;
    }
  return true;
}

/**
 * The words lettered in an image, top to bottom, left to right: every run of glyphs of this font
 * (scales 1–3) one cell apart on a line. Pixels that are not exactly ink are background to it.
 */
export function readWords(r: Raster): string[] {
  const words: { x: number; y: number; text: string }[] = [];
  const taken = new Set<string>();
  for (let y = 0; y < r.height; y += 1)
    for (let x = 0; x < r.width; x += 1) {
      for (let scale = 3; scale >= 1; scale -= 1) {
        let text = '';
        let cx = x;
        for (;;) {
          const hit = Object.entries(GLYPHS).find(([, g]) => glyphAt(r, g, cx, y, scale));
          if (!hit || taken.has(`${cx},${y}`)) break;
          text += hit[0];
          cx += (GLYPH_W + 1) * scale;
        }
        if (!text) continue;
        for (let k = 0; k < text.length; k += 1) taken.add(`${x + k * (GLYPH_W + 1) * scale},${y}`);
        words.push({ x, y, text });
        break;
      }
    }
  return words.map((w) => w.text);
}
