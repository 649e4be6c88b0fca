import { createHash } from 'node:crypto';
import { type Content, contentImages, readImageHeader } from '@gavel/core';
import type { ExportRecord } from './run-records.ts';

/** Image bytes by sha256, as the image store holds them (what `gavel review` reads for a run's pairs). */
export type ReviewImageBytes = ReadonlyMap<string, Uint8Array>;

/** Why an image the page names is not shown, by sha256 (never its bytes). */
export interface ReviewImageProblem {
  sha256: string;
  problem: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The sha256 of every stored image the records' pair outputs show. Only content-addressed references
 * count: an image part that carries a `url` or a `path` instead (hand-written export text) is never a
 * source of bytes for the page.
 */
export function recordImageHashes(records: readonly ExportRecord[]): Set<string> {
  const out = new Set<string>();
  const add = (content: Content | undefined) => {
    if (content === undefined) return;
    for (const part of contentImages(content)) if (part.sha256 && SHA256.test(part.sha256)) out.add(part.sha256);
  };
  for (const r of records) {
    add(r.outputs?.a);
    add(r.outputs?.b);
  }
  return out;
}

/** The most image bytes one review page embeds (before base64): past it, images show as their markers. */
export const REVIEW_IMAGE_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * The `data:` URL of each image the page may show, by sha256. The media type comes from the bytes'
 * own magic (PNG, JPEG or WebP: what the judges took; never from any text in a record), and the bytes
 * must hash to the sha256 they are filed under. Anything else — SVG, GIF, HTML, a hash mismatch — is
 * left out with its reason, and the page shows a marker in its place; so is every image past
 * `budgetBytes` in all (the file stays openable: a run over many large images shows the first ones).
 */
export function reviewImageUrls(
  images: ReviewImageBytes,
  budgetBytes = REVIEW_IMAGE_BUDGET_BYTES,
): {
  urls: Record<string, string>;
  problems: ReviewImageProblem[];
} {
  const urls: Record<string, string> = {};
  const problems: ReviewImageProblem[] = [];
  let embedded = 0;
  for (const [sha256, bytes] of images) {
    if (!SHA256.test(sha256)) {
      problems.push({ sha256, problem: 'not a sha256' });
      continue;
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      problems.push({ sha256, problem: `the stored bytes hash to ${actual}` });
      continue;
    }
    const header = readImageHeader(bytes);
    if ('problem' in header) {
      problems.push({ sha256, problem: header.problem });
      continue;
    }
    if (embedded + bytes.length > budgetBytes) {
      problems.push({ sha256, problem: `over the page's image budget (${budgetBytes} bytes in all)` });
      continue;
    }
    embedded += bytes.length;
    urls[sha256] = `data:${header.media_type};base64,${Buffer.from(bytes).toString('base64')}`;
  }
  return { urls, problems };
}
