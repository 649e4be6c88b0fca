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
 * Reads a body chunk by chunk, hashing as it goes and handing each decoded chunk to `onText`; stops
 * (cancelling the stream) as soon as it passes `limit` bytes, so an oversize body is never held. A
 * declared Content-Length past the limit is refused before anything is read.
 */
async function eachChunk(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  contentLength: string | undefined,
  onText: (text: string) => void,
): Promise<{ sha256: string; bytes: number }> {
  if (contentLength !== undefined && Number(contentLength) > limit) throw new BodyTooLargeError(limit);
  const hash = createHash('sha256');
  const decoder = new TextDecoder('utf-8');
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
      onText(decoder.decode(value, { stream: true }));
    }
  }
  onText(decoder.decode());
  return { sha256: hash.digest('hex'), bytes };
}

/** Reads a (JSON) body whole, within the limit. */
export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  contentLength?: string,
): Promise<ReadBody> {
  const parts: string[] = [];
  const read = await eachChunk(body, limit, contentLength, (text) => parts.push(text));
  return { text: parts.join(''), ...read };
}

/**
 * Reads an NDJSON body line by line as it arrives, handing each line (1-based number, text) to
 * `onLine`: only the line being assembled is held, never the whole body.
 */
export async function readBodyLines(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  contentLength: string | undefined,
  onLine: (line: number, text: string) => void,
): Promise<{ sha256: string; bytes: number }> {
  let pending = '';
  let line = 0;
  const read = await eachChunk(body, limit, contentLength, (text) => {
    pending += text;
    let start = 0;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
      line += 1;
      onLine(line, pending.slice(start, end));
      start = end + 1;
    }
    pending = pending.slice(start);
  });
  if (pending !== '') onLine(line + 1, pending);
  return read;
}
