import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  type Content,
  type ContentPart,
  checkImage,
  type DatasetError,
  type DatasetFile,
  type ImagePart,
  type ParsedDataset,
  parseNativeJsonl,
  type Sample,
  type StoredImage,
} from '@gavel/core';

/** The images of a dataset, checked and ready to store: bytes by sha256. */
export type DatasetImages = Map<string, Buffer>;

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?(;[\w-]+=[\w.-]+)*;base64,([A-Za-z0-9+/=\s]*)$/;

async function imageBytes(part: ImagePart, datasetFile: string | undefined): Promise<Buffer | string> {
  if (part.url !== undefined) {
    const m = DATA_URL.exec(part.url);
    if (!m) return 'a data: URL must be base64 (data:<type>;base64,<data>)';
    return Buffer.from(m[3] ?? '', 'base64');
  }
  if (part.path !== undefined) {
    if (datasetFile === undefined) return 'an image "path" needs a dataset file to be relative to: send a data: URL';
    const at = resolve(dirname(datasetFile), part.path);
    try {
      return await readFile(at);
    } catch (error) {
      return `cannot read ${at}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
    }
  }
  return 'an image part already stored (sha256) cannot come from a dataset';
}

/** A content's parts with every image checked and replaced by its stored reference; problems by field. */
async function resolveContent(
  content: Content,
  field: string,
  datasetFile: string | undefined,
  images: DatasetImages,
  problems: { field: string; message: string }[],
): Promise<Content> {
  if (typeof content === 'string') return content;
  const out: ContentPart[] = [];
  for (const [k, part] of content.entries()) {
    if (part.type !== 'image') {
      out.push(part);
      continue;
    }
    const bytes = await imageBytes(part, datasetFile);
    const where = `${field}.${k}${part.path ? ` (${part.path})` : ''}`;
    if (typeof bytes === 'string') {
      problems.push({ field: where, message: bytes });
      continue;
    }
    const header = checkImage(bytes);
    if ('problem' in header) {
      problems.push({ field: where, message: header.problem });
      continue;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    images.set(sha256, bytes);
    const stored: StoredImage = { type: 'image', sha256, ...header, bytes: bytes.length };
    out.push(stored);
  }
  return out;
}

/**
 * Checks every image of a parsed dataset — read from its path (relative to the dataset file) or
 * its data URL; PNG, JPEG or WebP; within the Anthropic API's 5 MB of base64 and 8000 px a side —
 * and replaces it in its sample by its stored reference (sha256, media type, size). A bad image is
 * an error on its line (`file:line: outputs.b.1 (chart.png): …`) and its sample is dropped, as any
 * invalid line. Returns the distinct images' bytes, once each.
 */
export async function resolveDatasetImages(parsed: ParsedDataset, fromFile = true): Promise<DatasetImages> {
  const images: DatasetImages = new Map();
  const keep: number[] = [];
  for (const [i, sample] of parsed.samples.entries()) {
    const at = parsed.lines[i];
    if (sample.kind !== 'pair' || !at) {
      keep.push(i);
      continue;
    }
    const file = fromFile ? at.file : undefined;
    const problems: { field: string; message: string }[] = [];
    const resolved: Sample = {
      ...sample,
      prompt: await resolveContent(sample.prompt, 'prompt', file, images, problems),
      outputs: {
        a: await resolveContent(sample.outputs.a, 'outputs.a', file, images, problems),
        b: await resolveContent(sample.outputs.b, 'outputs.b', file, images, problems),
      },
    };
    if (problems.length > 0) {
      parsed.errors.push(
        ...problems.map((p): DatasetError => ({ file: at.file, line: at.line, field: p.field, message: p.message })),
      );
      continue;
    }
    parsed.samples[i] = resolved;
    keep.push(i);
  }
  parsed.samples = keep.map((i) => parsed.samples[i] as Sample);
  parsed.lines = keep.map((i) => parsed.lines[i] as { file: string; line: number });
  parsed.errors.sort((x, y) => (x.file === y.file ? x.line - y.line : x.file.localeCompare(y.file)));
  return images;
}

/** The sha256 of every stored image the samples show (what must be in the image store before they run). */
export function sampleImageHashes(samples: readonly Sample[]): Set<string> {
  const out = new Set<string>();
  for (const s of samples) {
    if (s.kind !== 'pair') continue;
    for (const content of [s.prompt, s.outputs.a, s.outputs.b]) {
      if (typeof content === 'string') continue;
      for (const part of content) if (part.type === 'image' && part.sha256) out.add(part.sha256);
    }
  }
  return out;
}

/**
 * The sha256 of every image a native JSONL dataset shows, as `gavel enqueue` resolves them (what its
 * dataset hash covers): for `gavel verify --dataset` to hash the files and their images again.
 */
export async function datasetImageHashes(files: readonly DatasetFile[]): Promise<string[]> {
  const parsed: ParsedDataset = { samples: [], lines: [], errors: [] };
  for (const file of files) {
    const one = parseNativeJsonl(file);
    parsed.samples.push(...one.samples);
    parsed.lines.push(...one.lines);
  }
  return [...(await resolveDatasetImages(parsed)).keys()].sort();
}

/** The bytes of the images the samples show (those a run stores and references), by sha256. */
export function shownImages(samples: readonly Sample[], images: DatasetImages): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const sha256 of sampleImageHashes(samples)) {
    const bytes = images.get(sha256);
    if (bytes) out.set(sha256, bytes);
  }
  return out;
}
