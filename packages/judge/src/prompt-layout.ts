import type { Facts, ImageMediaType, PointwiseSample, Sample } from '@gavel/core';
import { assertRubricBytes, type LoadedRubric } from '@gavel/rubric';

/** One part of a message with images: text, or an image's bytes (base64) with its media type. */
export type ChatPart =
  | { type: 'text'; text: string }
  | { type: 'image'; media_type: ImageMediaType; base64: string; sha256: string };

/**
 * A chat message as the judge builds it: text, or parts when it shows images. Each backend puts it
 * on its own wire (vLLM `image_url` data URLs, Ollama `images` on the message, Anthropic `image` blocks).
 */
export interface ChatMessage {
  /** `assistant`: the judge's own earlier answer, in a critique pass. */
  role: 'system' | 'user' | 'assistant';
  content: string | ChatPart[];
}

/** A message of text only (every pointwise prompt). */
export interface TextChatMessage extends ChatMessage {
  content: string;
}

/** The rubric text and hash each loaded rubric was last checked with. */
const checkedBytes = new WeakMap<LoadedRubric, { text: string; hash: string }>();

/**
 * The rubric's bytes against its pinned hash ({@link assertRubricBytes}), hashed once per loaded
 * rubric and text rather than once per prompt (a sha256 of the whole rubric for every sample).
 */
export function assertPromptRubric(rubric: LoadedRubric): void {
  const checked = checkedBytes.get(rubric);
  if (checked && checked.text === rubric.text && checked.hash === rubric.ref.hash) return;
  assertRubricBytes(rubric.text, rubric.ref);
  checkedBytes.set(rubric, { text: rubric.text, hash: rubric.ref.hash });
}

/** A message's text (its text parts joined), for token estimates and logs. */
export function messageText(message: ChatMessage): string {
  return typeof message.content === 'string'
    ? message.content
    : message.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** JSON with object keys sorted at every level: the same facts always give the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}

/** Reference answers as a bullet list, or undefined when there are none. */
export function referenceText(reference: Sample['reference']): string | undefined {
  if (reference === undefined) return undefined;
  return Array.isArray(reference) ? reference.map((r) => `- ${r}`).join('\n') : `- ${reference}`;
}

/**
 * The judge's prompt: the rubric file, byte for byte, is the whole first (system) message of
 * every request — so the server's prefix cache serves it and its sha256 is checked here against
 * the pinned hash — then the deterministic facts, then the task and the output under judgment.
 */
export function buildJudgePrompt(rubric: LoadedRubric, sample: PointwiseSample, facts: Facts): TextChatMessage[] {
  assertPromptRubric(rubric);
  const reference = referenceText(sample.reference);
  const parts = [
    '## Facts',
    '',
    '```json',
    canonicalJson(facts),
    '```',
    '',
    '## Task',
    '',
    sample.prompt,
    '',
    ...(reference ? ['## Reference answers', '', reference, ''] : []),
    '## Output under judgment',
    '',
    '<output>',
    sample.output,
    '</output>',
    '',
    `## Your answer`,
    '',
    `Grade the output by the rubric above. Answer with one JSON object: pass, score, criteria (an object with one entry per criterion id of the rubric — ${rubric.criteria.map((c) => c.id).join(', ')} — each with its score and finding), rationale.`,
  ];
  return [
    { role: 'system', content: rubric.text },
    { role: 'user', content: parts.join('\n') },
  ];
}
