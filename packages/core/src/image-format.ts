import type { ImageMediaType } from './content.ts';

/** What the byte header of an image says: its format and pixel size. */
export type ImageHeader = { media_type: ImageMediaType; width: number; height: number } | { problem: string };

/** The largest base64 text of one image the Anthropic API accepts (5 MB), and the largest side in pixels. */
export const IMAGE_LIMITS = { maxBase64Bytes: 5 * 1024 * 1024, maxSidePx: 8000 } as const;

const u16be = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u32be = (b: Uint8Array, i: number) => u16be(b, i) * 65536 + u16be(b, i + 2);
const u16le = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, i: number) => u16le(b, i) | ((b[i + 2] ?? 0) << 16);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

function png(b: Uint8Array): ImageHeader {
  if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') return { problem: 'a PNG without an IHDR header (truncated?)' };
  return { media_type: 'image/png', width: u32be(b, 16), height: u32be(b, 20) };
}

function jpeg(b: Uint8Array): ImageHeader {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return { problem: `a JPEG with a broken segment at byte ${i}` };
    const marker = b[i + 1] ?? 0;
    // SOF0–SOF15 hold the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { media_type: 'image/jpeg', height: u16be(b, i + 5), width: u16be(b, i + 7) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) i += 2;
    else i += 2 + u16be(b, i + 2);
  }
  return { problem: 'a JPEG without a frame header (truncated?)' };
}

function webp(b: Uint8Array): ImageHeader {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30) {
    return { media_type: 'image/webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (chunk === 'VP8L' && b.length >= 25) {
    const b1 = b[21] ?? 0;
    const b2 = b[22] ?? 0;
    const b3 = b[23] ?? 0;
    const b4 = b[24] ?? 0;
    return {
      media_type: 'image/webp',
      width: 1 + (((b2 & 0x3f) << 8) | b1),
      height: 1 + (((b4 & 0x0f) << 10) | (b3 << 2) | ((b2 & 0xc0) >> 6)),
    };
  }
  if (chunk === 'VP8X' && b.length >= 30) {
    return { media_type: 'image/webp', width: 1 + u24le(b, 24), height: 1 + u24le(b, 27) };
  }
  return { problem: `a WebP with an unknown first chunk "${chunk}"` };
}

/**
 * Reads an image's format and size from its header bytes: PNG, JPEG and WebP are accepted; GIF
 * and anything else are refused with the reason (Ollama takes no GIF; none of the judges takes SVG).
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length >= 8 && u32be(bytes, 0) === 0x89504e47 && u32be(bytes, 4) === 0x0d0a1a0a) return png(bytes);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpeg(bytes);
  if (bytes.length >= 16 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return webp(bytes);
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) {
    return { problem: 'GIF is not accepted (Ollama refuses it): convert it to PNG' };
  }
  return { problem: 'not a PNG, JPEG or WebP image' };
}

/** Base64 length of `n` bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/** Why an image is refused at enqueue (format, size against the judges' and arbiter's limits), or its header. */
export function checkImage(bytes: Uint8Array): ImageHeader {
  const header = readImageHeader(bytes);
  if ('problem' in header) return header;
  if (header.width === 0 || header.height === 0) return { problem: 'the image has no pixels (width or height 0)' };
  const b64 = base64Length(bytes.length);
  if (b64 > IMAGE_LIMITS.maxBase64Bytes) {
    return {
      problem: `${bytes.length} bytes is ${b64} bytes of base64, over the 5 MB (${IMAGE_LIMITS.maxBase64Bytes}) the Anthropic API accepts per image: downscale or recompress it`,
    };
  }
  if (header.width > IMAGE_LIMITS.maxSidePx || header.height > IMAGE_LIMITS.maxSidePx) {
    return {
      problem: `${header.width}×${header.height} px is over the ${IMAGE_LIMITS.maxSidePx} px a side the Anthropic API accepts: downscale it`,
    };
  }
  return header;
}
