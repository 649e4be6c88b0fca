import { z } from 'zod';

/** Image formats gavel accepts (what vLLM, Ollama and the Anthropic API all take). */
export const ImageMediaType = z.enum(['image/png', 'image/jpeg', 'image/webp']);
export type ImageMediaType = z.infer<typeof ImageMediaType>;

export const TextPart = z.object({ type: z.literal('text'), text: z.string() }).strict();
export type TextPart = z.infer<typeof TextPart>;

/** Structured data, shown to graders as canonical JSON. */
export const JsonPart = z.object({ type: z.literal('json'), data: z.unknown() }).strict();
export type JsonPart = z.infer<typeof JsonPart>;

/**
 * An image. In a dataset: `path` (relative to the dataset file) or `url` (a `data:` URL). The
 * producer checks it, stores its bytes once under their sha256 and keeps only the reference:
 * `sha256`, `media_type`, `width`, `height`, `bytes`.
 */
export const ImagePart = z
  .object({
    type: z.literal('image'),
    path: z.string().min(1).optional(),
    url: z
      .string()
      .refine((u) => u.startsWith('data:'), 'must be a data: URL (http URLs are not fetched; use "path")')
      .optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    media_type: ImageMediaType.optional(),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    bytes: z.number().int().positive().optional(),
  })
  .strict()
  .refine((p) => [p.path, p.url, p.sha256].filter((x) => x !== undefined).length === 1, {
    message: 'an image part has exactly one of "path" (relative to the dataset file) or "url" (a data: URL)',
  });
export type ImagePart = z.infer<typeof ImagePart>;

/** An image part as stored: its bytes live in the image store under `sha256`. */
export interface StoredImage {
  type: 'image';
  sha256: string;
  media_type: ImageMediaType;
  width: number;
  height: number;
  bytes: number;
}

export function isStoredImage(part: ImagePart): part is ImagePart & StoredImage {
  return part.sha256 !== undefined && part.media_type !== undefined;
}

export const ContentPart = z.discriminatedUnion('type', [TextPart, JsonPart, ImagePart]);
export type ContentPart = z.infer<typeof ContentPart>;

/** A prompt or an output: a string, or a list of parts (OpenAI's `{type: "text"}` shape and gavel's own). */
export const Content = z.union([z.string(), z.array(ContentPart).min(1)], {
  error:
    'must be a string or a list of parts ({"type": "text", "text"}, {"type": "json", "data"}, {"type": "image", "path" | "url"})',
});
export type Content = z.infer<typeof Content>;

/** Content as parts (a string is one text part). */
export function contentParts(content: Content): ContentPart[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

/** The text a grader reads of some content: text parts as they are, JSON as JSON, images as a marker. */
export function contentText(content: Content): string {
  if (typeof content === 'string') return content;
  return content
    .map((p) => {
      if (p.type === 'text') return p.text;
      if (p.type === 'json') return JSON.stringify(p.data, null, 2);
      return `[image ${p.sha256 ? p.sha256.slice(0, 12) : (p.path ?? 'inline')}]`;
    })
    .join('\n');
}

/** The image parts of some content. */
export function contentImages(content: Content): ImagePart[] {
  return typeof content === 'string' ? [] : content.filter((p): p is ImagePart => p.type === 'image');
}
