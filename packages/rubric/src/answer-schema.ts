import { GraderAnswer } from '@gavel/core';
import { z } from 'zod';
import type { RubricHeader } from './rubric.ts';

type Criteria = Pick<RubricHeader, 'criteria'>;

const Score = z.number().min(0).max(1);
const CriterionAnswer = z.object({ score: Score, finding: z.string().nullable() }).strict();

/**
 * The answer one rubric asks for, as it goes over the wire: `pass`, `score`, `criteria` with one
 * required property per criterion id of this rubric (its `score` in 0–1 and a `finding` or null)
 * and nothing else, then `rationale`. A server decoding under this schema (vLLM `json_schema`,
 * Ollama `format`, a forced tool call) can only produce answers that name exactly the rubric's criteria.
 */
export function rubricAnswer(rubric: Criteria) {
  const criteria = Object.fromEntries(rubric.criteria.map((c) => [c.id, CriterionAnswer]));
  return z
    .object({ pass: z.boolean(), score: Score, criteria: z.object(criteria).strict(), rationale: z.string().min(1) })
    .strict();
}
export type RubricAnswer = z.infer<ReturnType<typeof rubricAnswer>>;

/**
 * The JSON schema of {@link rubricAnswer} for this rubric: what judge requests send as
 * `response_format.json_schema.schema` / `format`, and the arbiter as a tool's `input_schema`.
 * Answers are validated against the same schema ({@link parseRubricAnswer}).
 */
export function answerSchemaFor(rubric: Criteria): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(rubricAnswer(rubric)) as Record<string, unknown>;
  return schema;
}

export type ParsedRubricAnswer = { ok: true; answer: GraderAnswer } | { ok: false; problem: string };

/**
 * Validates a decoded answer against the rubric's answer schema and returns it as a
 * {@link GraderAnswer} (criteria in the rubric's order). Servers ignore constraint fields they do
 * not know with HTTP 200, so every answer is checked, whatever was asked.
 */
export function parseRubricAnswer(value: unknown, rubric: Criteria): ParsedRubricAnswer {
  const parsed = rubricAnswer(rubric).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue && 'keys' in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(', ')})` : '';
    return { ok: false, problem: `${issue?.path.join('.') || 'answer'}: ${issue?.message}${keys}` };
  }
  const { pass, score, rationale, criteria } = parsed.data;
  const answer = GraderAnswer.parse({
    pass,
    score,
    rationale,
    criteria: rubric.criteria.map((c) => ({ id: c.id, ...(criteria[c.id] as z.infer<typeof CriterionAnswer>) })),
  });
  return { ok: true, answer };
}
