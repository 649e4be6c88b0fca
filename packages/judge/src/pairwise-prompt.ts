import { type Content, type Facts, InputError, isStoredImage, type PairSample, type PairSide } from '@gavel/core';
import type { LoadedRubric } from '@gavel/rubric';
import { assertPromptRubric, type ChatMessage, type ChatPart, canonicalJson, referenceText } from './prompt-layout.ts';

/** The other side of a pair. */
export function otherSide(side: PairSide): PairSide {
  return side === 'a' ? 'b' : 'a';
}

/** Image bytes by sha256, loaded from the image store for one sample. */
export type ImageBytes = ReadonlyMap<string, Buffer>;

type Segment = string | Extract<ChatPart, { type: 'image' }>;

/** Content as prompt segments: text as it is, structured data as canonical JSON, images by their bytes. */
function segments(content: Content, images: ImageBytes, sampleId: string): Segment[] {
  if (typeof content === 'string') return [content];
  return content.map((part): Segment => {
    if (part.type === 'text') return part.text;
    if (part.type === 'json') return ['```json', canonicalJson(part.data), '```'].join('\n');
    if (part.type === 'csv') return ['```csv', part.data.replace(/\n$/, ''), '```'].join('\n');
    if (!isStoredImage(part)) {
      throw new InputError(`sample ${sampleId}: an image part was not stored at enqueue (no sha256)`);
    }
    const bytes = images.get(part.sha256);
    if (!bytes) {
      throw new InputError(`sample ${sampleId}: image ${part.sha256} is not in the image store (enqueue stores it)`);
    }
    return { type: 'image', media_type: part.media_type, base64: bytes.toString('base64'), sha256: part.sha256 };
  });
}

/**
 * Joins segments into a message's content: one string without images, else text and image parts
 * in order — the same text as the string would be, each image on a line of its own.
 */
function messageContent(all: Segment[]): ChatMessage['content'] {
  if (all.every((s) => typeof s === 'string')) return all.join('\n');
  const parts: ChatPart[] = [];
  let text: string[] = [];
  let afterImage = false;
  const flush = (end: string) => {
    parts.push({ type: 'text', text: `${afterImage ? '\n' : ''}${text.join('\n')}${end}` });
    text = [];
  };
  for (const s of all) {
    if (typeof s === 'string') text.push(s);
    else {
      flush('\n');
      parts.push(s);
      afterImage = true;
    }
  }
  flush('');
  return parts;
}

/**
 * One order of a pair's prompt: the rubric file, byte for byte, is the whole system message — the
 * same prefix for both orders and every pair, so the server's prefix cache serves it — then each
 * output's facts, the task, and the two outputs with `first` shown as output 1 (text, structured
 * data as JSON, images where they stand). Nothing in the prompt names a side or a system, so the
 * judge cannot tell which order it is reading.
 */
export function buildPairPrompt(
  rubric: LoadedRubric,
  sample: PairSample,
  facts: Facts,
  first: PairSide,
  images: ImageBytes = new Map(),
): ChatMessage[] {
  assertPromptRubric(rubric);
  const second = otherSide(first);
  const reference = referenceText(sample.reference);
  const sideFacts = facts.pair ? { output_1: facts.pair[first], output_2: facts.pair[second] } : {};
  const all: Segment[] = [
    '## Facts',
    '',
    '```json',
    canonicalJson(sideFacts),
    '```',
    '',
    '## Task',
    '',
    ...segments(sample.prompt, images, sample.id),
    '',
    ...(reference ? ['## Reference answers', '', reference, ''] : []),
    '## Output 1',
    '',
    '<output_1>',
    ...segments(sample.outputs[first], images, sample.id),
    '</output_1>',
    '',
    '## Output 2',
    '',
    '<output_2>',
    ...segments(sample.outputs[second], images, sample.id),
    '</output_2>',
    '',
    '## Your answer',
    '',
    `Compare the two outputs by the rubric above. Answer with one JSON object: preference (output_1, output_2 or tie), margin, criteria (an object with one entry per criterion id of the rubric — ${rubric.criteria.map((c) => c.id).join(', ')} — each with its preference and finding), rationale.`,
  ];
  return [
    { role: 'system', content: rubric.text },
    { role: 'user', content: messageContent(all) },
  ];
}
