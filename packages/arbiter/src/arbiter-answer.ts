import type { GraderAnswer } from '@gavel/core';
import { type LoadedRubric, type PairwiseAnswer, parsePairwiseAnswer, parseRubricAnswer } from '@gavel/rubric';
import { VERDICT_TOOL } from './arbiter-request.ts';

export type ParsedAnswer = { ok: true; answer: GraderAnswer } | { ok: false; reason: string };

type Rubric = Pick<LoadedRubric, 'criteria'>;

/** A Messages response's content blocks, as far as the answer needs them. */
type ContentBlock = { type: string; name?: string; input?: unknown; text?: string };

/**
 * Reads the arbiter's verdict from a Messages response: the input of its `record_verdict` tool
 * call, validated against the rubric's answer schema. A tool input is not guaranteed to match
 * the schema (a missing field is possible), so it is always checked.
 */
export function readToolAnswer(content: readonly ContentBlock[], rubric: Rubric): ParsedAnswer {
  const call = content.find((b) => b.type === 'tool_use' && b.name === VERDICT_TOOL);
  if (!call) {
    const kinds = content.map((b) => (b.type === 'tool_use' ? `tool_use ${b.name}` : b.type)).join(', ');
    return { ok: false, reason: `answer has no ${VERDICT_TOOL} tool call (content: ${kinds || 'empty'})` };
  }
  const parsed = parseRubricAnswer(call.input, rubric);
  return parsed.ok
    ? parsed
    : { ok: false, reason: `${VERDICT_TOOL} input does not match the rubric's schema at ${parsed.problem}` };
}

/** Reads a JSON text answer (an OpenAI-compatible `json_schema` completion) against the rubric's answer schema. */
export function readJsonAnswer(text: string, rubric: Rubric): ParsedAnswer {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: `answer is not JSON: ${JSON.stringify(text.slice(0, 200))}` };
  }
  const parsed = parseRubricAnswer(raw, rubric);
  return parsed.ok ? parsed : { ok: false, reason: `answer does not match the rubric's schema at ${parsed.problem}` };
}

export type ParsedPairAnswer = { ok: true; answer: PairwiseAnswer } | { ok: false; reason: string };

/**
 * Reads one order of the arbiter's answer on a pair: its `record_verdict` tool input validated
 * against the pairwise schema, kept in positions (output 1 is the side that order showed first).
 */
export function readPairToolAnswer(content: readonly ContentBlock[], rubric: Rubric): ParsedPairAnswer {
  const call = content.find((b) => b.type === 'tool_use' && b.name === VERDICT_TOOL);
  if (!call) {
    const kinds = content.map((b) => (b.type === 'tool_use' ? `tool_use ${b.name}` : b.type)).join(', ');
    return { ok: false, reason: `answer has no ${VERDICT_TOOL} tool call (content: ${kinds || 'empty'})` };
  }
  const parsed = parsePairwiseAnswer(call.input, rubric);
  return parsed.ok
    ? parsed
    : { ok: false, reason: `${VERDICT_TOOL} input does not match the rubric's schema at ${parsed.problem}` };
}

/** One order's JSON text answer (an OpenAI-compatible `json_schema` completion) against the pairwise schema. */
export function readPairJsonAnswer(text: string, rubric: Rubric): ParsedPairAnswer {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: `answer is not JSON: ${JSON.stringify(text.slice(0, 200))}` };
  }
  const parsed = parsePairwiseAnswer(raw, rubric);
  return parsed.ok ? parsed : { ok: false, reason: `answer does not match the rubric's schema at ${parsed.problem}` };
}
