import { describe, expect, it } from 'vitest';
import { base64Length, checkImage, readImageHeader } from './image-format.ts';

/** A PNG signature and IHDR chunk header for `w` × `h` (enough for the header reader). */
function pngHeader(w: number, h: number): Uint8Array {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  return b;
}

describe('image headers', () => {
  it('reads PNG, JPEG (past an APP0 segment to its SOF0) and WebP (VP8X, VP8L, VP8) sizes', () => {
    expect(readImageHeader(pngHeader(640, 480))).toEqual({ media_type: 'image/png', width: 640, height: 480 });
    // FF D8 | FF E0 len 16 (JFIF) | FF C0 len 17, precision 8, height 0x01E0 = 480, width 0x0280 = 640.
    const jpeg = Buffer.from([
      0xff,
      0xd8,
      0xff,
      0xe0,
      0x00,
      0x10,
      ...Buffer.from('JFIF\0'),
      1,
      1,
      0,
      0,
      1,
      0,
      1,
      0,
      0,
      0xff,
      0xc0,
      0x00,
      0x11,
      0x08,
      0x01,
      0xe0,
      0x02,
      0x80,
      0x03,
      1,
      0x22,
      0,
      2,
      0x11,
      1,
      3,
      0x11,
      1,
    ]);
    expect(readImageHeader(jpeg)).toEqual({ media_type: 'image/jpeg', width: 640, height: 480 });
    // VP8X: canvas width − 1 and height − 1 as 24-bit little-endian at bytes 24 and 27.
    const vp8x = Buffer.alloc(30);
    vp8x.write('RIFF', 0, 'latin1');
    vp8x.write('WEBPVP8X', 8, 'latin1');
    vp8x.writeUIntLE(1999, 24, 3);
    vp8x.writeUIntLE(999, 27, 3);
    expect(readImageHeader(vp8x)).toEqual({ media_type: 'image/webp', width: 2000, height: 1000 });
    // VP8L: 14-bit width − 1 and height − 1 packed from byte 21: width 100 (99), height 50 (49).
    const vp8l = Buffer.alloc(30);
    vp8l.write('RIFF', 0, 'latin1');
    vp8l.write('WEBPVP8L', 8, 'latin1');
    const bits = 99 | (49 << 14);
    vp8l.writeUInt32LE(bits, 21);
    expect(readImageHeader(vp8l)).toEqual({ media_type: 'image/webp', width: 100, height: 50 });
    const vp8 = Buffer.alloc(30);
    vp8.write('RIFF', 0, 'latin1');
    vp8.write('WEBPVP8 ', 8, 'latin1');
    vp8.writeUInt16LE(320, 26);
    vp8.writeUInt16LE(240, 28);
    expect(readImageHeader(vp8)).toEqual({ media_type: 'image/webp', width: 320, height: 240 });
  });

  it('refuses GIF and what is no image, and images over the Anthropic limits', () => {
    expect(readImageHeader(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toEqual({
      problem: 'GIF is not accepted (Ollama refuses it): convert it to PNG',
    });
    expect(readImageHeader(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toEqual({
      problem: 'not a PNG, JPEG or WebP image',
    });
    expect(checkImage(pngHeader(8000, 10))).toMatchObject({ media_type: 'image/png' });
    expect(checkImage(pngHeader(8001, 10))).toEqual({
      problem: '8001×10 px is over the 8000 px a side the Anthropic API accepts: downscale it',
    });
    // 5 MB of base64 is 3,932,160 bytes (× 4/3 = 5,242,880); one byte more needs 4 more base64 characters.
    expect(base64Length(3_932_160)).toBe(5 * 1024 * 1024);
    const atLimit = Buffer.concat([Buffer.from(pngHeader(10, 10)), Buffer.alloc(3_932_160 - 33)]);
    expect(checkImage(atLimit)).toMatchObject({ media_type: 'image/png' });
    const over = Buffer.concat([atLimit, Buffer.alloc(1)]);
    expect(checkImage(over)).toEqual({
      problem:
        '3932161 bytes is 5242884 bytes of base64, over the 5 MB (5242880) the Anthropic API accepts per image: downscale or recompress it',
    });
  });
});
