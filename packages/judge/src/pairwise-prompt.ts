import type { Facts, PairSample, PairSide } from '@gavel/core';
import { assertRubricBytes, type LoadedRubric } from '@gavel/rubric';
import { type ChatMessage, canonicalJson, referenceText } from './prompt-layout.ts';

/** The other side of a pair. */
export function otherSide(side: PairSide): PairSide {
  return side === 'a' ? 'b' : 'a';
}

/**
 * One order of a pair's prompt: the rubric file, byte for byte, is the whole system message — the
 * same prefix for both orders and every pair, so the server's prefix cache serves it — then each
 * output's facts, the task, and the two outputs with `first` shown as output 1. Nothing in the
 * prompt names a side or a system, so the judge cannot tell which order it is reading.
 */
export function buildPairPrompt(
  rubric: LoadedRubric,
  sample: PairSample,
  facts: Facts,
  first: PairSide,
): ChatMessage[] {
  assertRubricBytes(rubric.text, rubric.ref);
  const second = otherSide(first);
  const reference = referenceText(sample.reference);
  const sideFacts = facts.pair ? { output_1: facts.pair[first], output_2: facts.pair[second] } : {};
  const parts = [
    '## Facts',
    '',
    '```json',
    canonicalJson(sideFacts),
    '```',
    '',
    '## Task',
    '',
    sample.prompt,
    '',
    ...(reference ? ['## Reference answers', '', reference, ''] : []),
    '## Output 1',
    '',
    '<output_1>',
    sample.outputs[first],
    '</output_1>',
    '',
    '## Output 2',
    '',
    '<output_2>',
    sample.outputs[second],
    '</output_2>',
    '',
    '## Your answer',
    '',
    `Compare the two outputs by the rubric above. Answer with one JSON object: preference (output_1, output_2 or tie), margin, criteria (an object with one entry per criterion id of the rubric — ${rubric.criteria.map((c) => c.id).join(', ')} — each with its preference and finding), rationale.`,
  ];
  return [
    { role: 'system', content: rubric.text },
    { role: 'user', content: parts.join('\n') },
  ];
}
