import type { GraderAnswer } from '@gavel/core';
import { type LoadedRubric, parseRubricAnswer } from '@gavel/rubric';

export type ParsedAnswer = { ok: true; answer: GraderAnswer } | { ok: false; problem: string };

/**
 * Validates a raw answer text: JSON, then the rubric's own answer schema (`answerSchemaFor`, the
 * schema the request carried: every criterion id of the rubric, no other). Servers ignore
 * constraint fields they do not know with HTTP 200, so every answer is checked here.
 */
export function parseGraderAnswer(raw: string, rubric: Pick<LoadedRubric, 'criteria'>): ParsedAnswer {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, problem: `not JSON (${(error as Error).message})` };
  }
  return parseRubricAnswer(json, rubric);
}
