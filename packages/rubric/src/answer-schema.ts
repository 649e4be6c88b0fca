import type { GraderAnswer } from '@gavel/core';
import { z } from 'zod';
import { criteriaSchema } from './criteria-schema.ts';
import { pairwiseAnswerSchemaFor, pairwiseAsGraderAnswer, parsePairwiseAnswer } from './pairwise-answer.ts';
import type { RubricHeader } from './rubric.ts';

/** A rubric's criteria, and its kind when known: a `pair` rubric is answered with a preference. */
type RubricCriteria = Pick<RubricHeader, 'criteria'> & { kind?: RubricHeader['kind'] };

const score = { type: 'number', minimum: 0, maximum: 1 } as const;

/**
 * The JSON schema of a grader's answer to this rubric: `pass`, `score`, `rationale`, and
 * `criteria` as an object with exactly one property per rubric criterion id (each its `score`
 * in 0–1 and a `finding`, null when nothing was found). A server that decodes under this schema
 * (vLLM `json_schema`, Ollama `format`, an Anthropic tool's `input_schema`) can only produce
 * the rubric's criteria. Read answers with {@link parseRubricAnswer}.
 */
export function answerSchemaFor(rubric: RubricCriteria): Record<string, unknown> {
  if (rubric.kind === 'pair') return pairwiseAnswerSchemaFor(rubric);
  return {
    type: 'object',
    properties: {
      pass: { type: 'boolean', description: 'whether the output passes the rubric' },
      score: { ...score, description: 'overall score, 0 to 1' },
      criteria: criteriaSchema(rubric, { score }, 'the problem found, or null'),
      rationale: { type: 'string', minLength: 1 },
    },
    required: ['pass', 'score', 'criteria', 'rationale'],
    additionalProperties: false,
  };
}

export type RubricAnswer = { ok: true; answer: GraderAnswer } | { ok: false; problem: string };

const cache = new WeakMap<RubricCriteria, z.ZodType>();
function validatorFor(rubric: RubricCriteria): z.ZodType {
  let v = cache.get(rubric);
  if (!v) {
    const entry = z.object({ score: z.number().min(0).max(1), finding: z.string().nullable() }).strict();
    v = z
      .object({
        pass: z.boolean(),
        score: z.number().min(0).max(1),
        criteria: z.object(Object.fromEntries(rubric.criteria.map((c) => [c.id, entry]))).strict(),
        rationale: z.string().min(1),
      })
      .strict();
    cache.set(rubric, v);
  }
  return v;
}

/**
 * Validates an answer (already-parsed JSON: a tool call's `input`, or a parsed completion)
 * against {@link answerSchemaFor} and returns it as a {@link GraderAnswer} with the criteria in
 * rubric order, or the first problem with its path (`criteria.correctness.score: …`).
 */
export function parseRubricAnswer(raw: unknown, rubric: RubricCriteria): RubricAnswer {
  if (rubric.kind === 'pair') {
    // Output 1 is A: the arbiter is shown a pair in one order, A first.
    const pairwise = parsePairwiseAnswer(raw, rubric);
    return pairwise.ok ? { ok: true, answer: pairwiseAsGraderAnswer(pairwise.answer) } : pairwise;
  }
  const result = validatorFor(rubric).safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, problem: `${issue?.path.join('.') || 'answer'}: ${issue?.message}` };
  }
  const data = result.data as {
    pass: boolean;
    score: number;
    criteria: Record<string, { score: number; finding: string | null }>;
    rationale: string;
  };
  return {
    ok: true,
    answer: {
      pass: data.pass,
      score: data.score,
      criteria: rubric.criteria.map((c) => ({
        id: c.id,
        ...(data.criteria[c.id] as { score: number; finding: string | null }),
      })),
      rationale: data.rationale,
    },
  };
}
