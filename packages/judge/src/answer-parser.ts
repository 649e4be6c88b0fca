import { GraderAnswer } from '@gavel/core';
import type { LoadedRubric } from '@gavel/rubric';
import { z } from 'zod';

/** The verdict's JSON schema (from the zod schema), sent as `response_format` / `format`. */
export function graderAnswerJsonSchema(): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(GraderAnswer) as Record<string, unknown>;
  return schema;
}

export type ParsedAnswer = { ok: true; answer: GraderAnswer } | { ok: false; problem: string };

/**
 * Validates a raw answer: JSON, the GraderAnswer schema, and every rubric criterion exactly once.
 * Servers ignore unknown constraint fields with HTTP 200, so every answer is checked here.
 */
export function parseGraderAnswer(raw: string, rubric: Pick<LoadedRubric, 'criteria'>): ParsedAnswer {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, problem: `not JSON (${(error as Error).message})` };
  }
  const parsed = GraderAnswer.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${issue?.path.join('.') || 'answer'}: ${issue?.message}` };
  }
  const expected = rubric.criteria.map((c) => c.id).sort();
  const got = parsed.data.criteria.map((c) => c.id).sort();
  if (expected.join('\u0000') !== got.join('\u0000')) {
    return { ok: false, problem: `criteria must be exactly [${expected.join(', ')}], got [${got.join(', ')}]` };
  }
  return { ok: true, answer: parsed.data };
}
