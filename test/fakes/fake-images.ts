/**
 * What the fake servers share about images: decoding what a request carries (OpenAI `image_url`
 * data URLs, Ollama `images` base64, Anthropic base64 `image` blocks), sniffing the format from
 * the bytes (never trusting a declared type), and a stand-in token count per image.
 */
import { createHash } from 'node:crypto';

export interface ReceivedImage {
  bytes: Buffer;
  sha256: string;
  /** From the bytes: png, jpeg, webp, gif, or unknown. */
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'unknown';
  width: number;
  height: number;
}

/** Format and size from an image's first bytes (PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X, GIF screen). */
export function sniffImage(bytes: Buffer): ReceivedImage {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const base = { bytes, sha256 };
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { ...base, format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 10 && bytes.toString('latin1', 0, 3) === 'GIF') {
    return { ...base, format: 'gif', width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    for (let i = 2; i + 9 < bytes.length; ) {
      const marker = bytes[i + 1] ?? 0;
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { ...base, format: 'jpeg', height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
      }
      i += 2 + bytes.readUInt16BE(i + 2);
    }
    return { ...base, format: 'jpeg', width: 0, height: 0 };
  }
  if (bytes.length >= 30 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = bytes.toString('latin1', 12, 16);
    if (chunk === 'VP8X') {
      return { ...base, format: 'webp', width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
    }
    if (chunk === 'VP8 ') {
      return {
        ...base,
        format: 'webp',
        width: bytes.readUInt16LE(26) & 0x3fff,
        height: bytes.readUInt16LE(28) & 0x3fff,
      };
    }
    return { ...base, format: 'webp', width: 0, height: 0 };
  }
  return { ...base, format: 'unknown', width: 0, height: 0 };
}

/** Tokens a vision encoder spends on an image in these fakes: one per 28×28 patch (Qwen2-VL's size), at least 1. */
export function fakeImageTokens(image: ReceivedImage): number {
  return Math.max(1, Math.ceil(image.width / 28) * Math.ceil(image.height / 28));
}

const DATA_URL = /^data:(image\/[\w.+-]+);base64,([A-Za-z0-9+/=]+)$/;

/** A `data:` URL's bytes, or why it is refused. */
export function decodeDataUrl(url: string): { bytes: Buffer; mediaType: string } | { problem: string } {
  const m = DATA_URL.exec(url);
  if (!m) return { problem: `not a base64 image data URL: ${url.slice(0, 40)}` };
  return { bytes: Buffer.from(m[2] ?? '', 'base64'), mediaType: m[1] ?? '' };
}

/** The marker a fake policy reads where an image stood in a message: its content hash. */
export function imageMarker(image: ReceivedImage): string {
  return `<image ${image.sha256}>`;
}

export interface FlatMessage {
  role: string;
  content: string;
}

/** A refusal of a request's messages, with the HTTP status the server answers it with. */
export interface MessageProblem {
  problem: string;
  /** @default 400 */
  status?: number;
}

/**
 * Ollama's OpenAI-compatible `/v1` image check, in its words (`decodeImageURL` in openai/openai.go,
 * answered by `ChatMiddleware` in middleware/openai.go as HTTP 400 `invalid_request_error`): an
 * http(s) URL is not fetched — "image URLs are not currently supported, please use base64 encoded
 * data instead"; anything but a `data:image/{jpeg,jpg,png,webp};base64,` (or `data:;base64,`) URL of
 * valid base64 is "invalid image input" (a GIF data URL included).
 */
function ollamaImageUrl(url: string): { bytes: Buffer } | MessageProblem {
  if (/^https?:\/\//.test(url)) {
    return { problem: 'image URLs are not currently supported, please use base64 encoded data instead' };
  }
  const m = /^data:(?:image\/(?:jpeg|jpg|png|webp))?;base64,(.*)$/s.exec(url);
  const data = m?.[1];
  if (data === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) {
    return { problem: 'invalid image input' };
  }
  return { bytes: Buffer.from(data, 'base64') };
}

/**
 * OpenAI-style messages flattened for a fake: each message's text with every image replaced by its
 * {@link imageMarker}, and the images it carried. A part this wire does not know is refused. `wire`
 * says whose `image_url` rules apply: vLLM's (data URLs; a real vLLM also fetches http(s) URLs, which
 * this fake, reaching no network, refuses — its own limit, said so) or Ollama's `/v1` ({@link ollamaImageUrl}).
 */
export function flattenOpenAiMessages(
  messages: readonly { role: string; content: unknown }[],
  wire: 'vllm' | 'ollama' = 'vllm',
): { messages: FlatMessage[]; images: ReceivedImage[] } | MessageProblem {
  const images: ReceivedImage[] = [];
  const flat: FlatMessage[] = [];
  for (const [i, m] of messages.entries()) {
    if (typeof m.content === 'string') {
      flat.push({ role: m.role, content: m.content });
      continue;
    }
    if (!Array.isArray(m.content)) {
      return {
        problem:
          wire === 'ollama' ? 'invalid message format' : `messages.${i}.content: must be a string or a list of parts`,
      };
    }
    let text = '';
    for (const [k, part] of (m.content as Record<string, unknown>[]).entries()) {
      if (part.type === 'text' && typeof part.text === 'string') text += part.text;
      else if (part.type === 'image_url') {
        // Ollama also takes `image_url` as the URL string itself.
        const raw = part.image_url;
        const url = wire === 'ollama' && typeof raw === 'string' ? raw : (raw as { url?: unknown } | undefined)?.url;
        if (typeof url !== 'string') {
          return {
            problem:
              wire === 'ollama' ? 'invalid message format' : `messages.${i}.content.${k}.image_url.url: required`,
          };
        }
        let bytes: Buffer;
        if (wire === 'ollama') {
          const decoded = ollamaImageUrl(url);
          if ('problem' in decoded) return decoded;
          bytes = decoded.bytes;
        } else {
          if (/^https?:/.test(url)) {
            return { problem: `messages.${i}.content.${k}: this fake fetches no remote image URL (a real vLLM would)` };
          }
          const decoded = decodeDataUrl(url);
          if ('problem' in decoded) return { problem: `messages.${i}.content.${k}: ${decoded.problem}` };
          bytes = decoded.bytes;
        }
        const image = sniffImage(bytes);
        images.push(image);
        text += imageMarker(image);
      } else {
        return {
          problem:
            wire === 'ollama'
              ? 'invalid message format'
              : `messages.${i}.content.${k}: unknown content part type ${String(part.type)}`,
        };
      }
    }
    flat.push({ role: m.role, content: text });
  }
  return { messages: flat, images };
}

/** A JSON value's kind as Go's encoding/json names it in an `UnmarshalTypeError`. */
function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Where Go's `base64.StdEncoding` stops on `text`: the first byte outside the alphabet or padding. */
function base64ErrorAt(text: string): number | undefined {
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  if (bad) return bad.index;
  const pad = text.indexOf('=');
  if (pad >= 0 && !/^={1,2}$/.test(text.slice(pad))) return pad;
  if (text.length % 4 !== 0) return text.length - (text.length % 4);
  return undefined;
}

/**
 * Ollama-native messages (`images`: raw base64 on the message) flattened for a fake: `[image N]` in
 * the text becomes the N-th image's marker. Refused as Ollama refuses them, in its words:
 * - text that is not base64 (a `data:` prefix included): `images` is `[]api.ImageData` (`[]byte`),
 *   so decoding the request body fails in Go's encoding/json with the `base64.CorruptInputError`
 *   "illegal base64 data at input byte N", answered HTTP 400 by `ChatHandler` (server/routes.go);
 * - bytes no registered image decoder reads (a GIF: only PNG, JPEG, WebP and BMP decoders are
 *   registered; or no image at all): the Go engine's `EncodeMultimodal` fails in `image.Decode` with
 *   "image: unknown format", which runner/ollamarunner/runner.go answers with HTTP 500 "Failed to
 *   create new sequence: …" and the server passes on with that status (`api.StatusError`). (Ollama
 *   since 9db4bdbad runs GGML models through llama-server, whose own decoder may read a GIF.)
 */
export function flattenOllamaMessages(
  messages: readonly { role: string; content?: unknown; images?: unknown }[],
): { messages: FlatMessage[]; images: ReceivedImage[] } | MessageProblem {
  const all: ReceivedImage[] = [];
  const flat: FlatMessage[] = [];
  for (const m of messages) {
    let content = typeof m.content === 'string' ? m.content : '';
    if (m.images !== undefined) {
      if (m.images !== null && !Array.isArray(m.images)) {
        return {
          problem: `json: cannot unmarshal ${goJsonKind(m.images)} into Go struct field Message.messages.images of type []api.ImageData`,
        };
      }
      const mine: ReceivedImage[] = [];
      for (const raw of m.images ?? []) {
        if (typeof raw !== 'string') {
          return {
            problem: `json: cannot unmarshal ${goJsonKind(raw)} into Go struct field Message.messages.images of type api.ImageData`,
          };
        }
        const at = base64ErrorAt(raw);
        if (at !== undefined) return { problem: `illegal base64 data at input byte ${at}` };
        const image = sniffImage(Buffer.from(raw, 'base64'));
        if (image.format === 'gif' || image.format === 'unknown') {
          return { problem: 'Failed to create new sequence: image: unknown format', status: 500 };
        }
        mine.push(image);
      }
      content = content.replace(/\[image (\d+)\]/g, (whole, n: string) => {
        const image = mine[Number(n) - 1];
        return image ? imageMarker(image) : whole;
      });
      all.push(...mine);
    }
    flat.push({ role: m.role, content });
  }
  return { messages: flat, images: all };
}
