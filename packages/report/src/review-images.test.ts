import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordImageHashes, reviewImageUrls } from './review-images.ts';
import type { ExportRecord } from './run-records.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The first bytes of a PNG: signature, then an IHDR of 2 × 3 px (all the header reader needs). */
const PNG = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 2, 0, 0, 0, 3, 8, 2,
]);
/** A JPEG's start and its SOF0 frame header (3 px high, 2 wide). */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0, 3, 0, 2, 3, 0, 0, 0, 0]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

describe('the images a review page embeds', () => {
  it('decides the media type from the bytes, and refuses SVG, GIF and bytes that do not hash to their name', () => {
    const images = new Map<string, Uint8Array>([
      [sha(PNG), PNG],
      [sha(JPEG), JPEG],
      [sha(SVG), SVG],
      [sha(GIF), GIF],
      // PNG bytes filed under another image's hash: not what the record names.
      ['0'.repeat(64), PNG],
      ['../../etc/passwd', PNG],
    ]);
    const { urls, problems } = reviewImageUrls(images);
    expect(urls).toEqual({
      [sha(PNG)]: `data:image/png;base64,${PNG.toString('base64')}`,
      [sha(JPEG)]: `data:image/jpeg;base64,${JPEG.toString('base64')}`,
    });
    expect(problems).toEqual([
      { sha256: sha(SVG), problem: 'not a PNG, JPEG or WebP image' },
      { sha256: sha(GIF), problem: 'GIF is not accepted (Ollama refuses it): convert it to PNG' },
      { sha256: '0'.repeat(64), problem: `the stored bytes hash to ${sha(PNG)}` },
      { sha256: '../../etc/passwd', problem: 'not a sha256' },
    ]);
  });

  it("names only stored images of the pairs' outputs: a data URL or a path in a record is no source", () => {
    const stored = 'cd'.repeat(32);
    const record = {
      outputs: {
        a: [
          { type: 'image', sha256: stored, media_type: 'image/png', width: 2, height: 3, bytes: 26 },
          { type: 'image', url: 'data:image/svg+xml;base64,PHN2Zy8+' },
        ],
        b: [
          { type: 'image', path: '/etc/passwd' },
          { type: 'text', text: 'x' },
        ],
      },
    } as unknown as ExportRecord;
    expect([...recordImageHashes([record])]).toEqual([stored]);
  });

  it('embeds images up to the budget and leaves the rest as markers', () => {
    const images = new Map<string, Uint8Array>([
      [sha(PNG), PNG],
      [sha(JPEG), JPEG],
    ]);
    const { urls, problems } = reviewImageUrls(images, PNG.length + JPEG.length - 1);
    expect(Object.keys(urls)).toEqual([sha(PNG)]);
    expect(problems).toEqual([
      { sha256: sha(JPEG), problem: `over the page's image budget (${PNG.length + JPEG.length - 1} bytes in all)` },
    ]);
  });
});
