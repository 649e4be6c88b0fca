import { createHash } from 'node:crypto';

/** A request body read whole: its text and the sha256 of its bytes. */
export interface ReadBody {
  text: string;
  sha256: string;
  bytes: number;
}

/** The body went past the configured limit; reading stopped there. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes (GAVEL_API_MAX_BODY_BYTES)`);
  }
}

/**
 * Reads a request body chunk by chunk, hashing and decoding as it goes, and stops (cancelling the
 * stream) as soon as it passes `limit` bytes, so an oversize body is never held whole. A declared
 * Content-Length past the limit is refused before anything is read.
 */
export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  contentLength?: string,
): Promise<ReadBody> {
  if (contentLength !== undefined && Number(contentLength) > limit) throw new BodyTooLargeError(limit);
  const hash = createHash('sha256');
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const parts: string[] = [];
  let bytes = 0;
  if (body) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > limit) {
        await reader.cancel().catch(() => undefined);
        throw new BodyTooLargeError(limit);
      }
      hash.update(value);
      parts.push(decoder.decode(value, { stream: true }));
    }
  }
  parts.push(decoder.decode());
  return { text: parts.join(''), sha256: hash.digest('hex'), bytes };
}
