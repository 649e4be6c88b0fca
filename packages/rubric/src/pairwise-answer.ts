import type { GraderAnswer, PairOrderJudgement, PairOutcome, PairPreference, PairSide } from '@gavel/core';
import { z } from 'zod';
import { criteriaSchema } from './criteria-schema.ts';
import type { RubricHeader } from './rubric.ts';

type RubricCriteria = Pick<RubricHeader, 'criteria'>;

/** A preference by position: the output shown first, the one shown second, or neither. */
export const POSITIONS = ['output_1', 'output_2', 'tie'] as const;
export type PositionPreference = (typeof POSITIONS)[number];

/** A judge's answer to one order of a pair, in positions (the caller maps them back to sides). */
export interface PairwiseAnswer {
  preference: PositionPreference;
  margin: number;
  criteria: { id: string; preference: PositionPreference; finding: string | null }[];
  rationale: string;
}

/**
 * The JSON schema of an answer to a pairwise rubric: `preference` (`output_1`, `output_2` or
 * `tie`), `margin` in 0–1, `criteria` with exactly one entry per criterion id (its preference and a
 * finding or null), and `rationale`. Sent as vLLM's `response_format`, Ollama's `format` and the
 * arbiter tool's `input_schema`.
 */
export function pairwiseAnswerSchemaFor(rubric: RubricCriteria): Record<string, unknown> {
  const preference = { type: 'string', enum: [...POSITIONS] };
  return {
    type: 'object',
    properties: {
      preference: { ...preference, description: 'the better output on balance, or tie' },
      margin: { type: 'number', minimum: 0, maximum: 1, description: 'how clear the preference is; 0 for a tie' },
      criteria: criteriaSchema(rubric, { preference }, 'what made the difference, or null'),
      rationale: { type: 'string', minLength: 1 },
    },
    required: ['preference', 'margin', 'criteria', 'rationale'],
    additionalProperties: false,
  };
}

const cache = new WeakMap<RubricCriteria, z.ZodType>();
function validatorFor(rubric: RubricCriteria): z.ZodType {
  let v = cache.get(rubric);
  if (!v) {
    const entry = z.object({ preference: z.enum(POSITIONS), finding: z.string().nullable() }).strict();
    v = z
      .object({
        preference: z.enum(POSITIONS),
        margin: z.number().min(0).max(1),
        criteria: z.object(Object.fromEntries(rubric.criteria.map((c) => [c.id, entry]))).strict(),
        rationale: z.string().min(1),
      })
      .strict();
    cache.set(rubric, v);
  }
  return v;
}

export type ParsedPairwiseAnswer = { ok: true; answer: PairwiseAnswer } | { ok: false; problem: string };

/** Validates an answer (parsed JSON) against {@link pairwiseAnswerSchemaFor}; criteria come back in rubric order. */
export function parsePairwiseAnswer(raw: unknown, rubric: RubricCriteria): ParsedPairwiseAnswer {
  const result = validatorFor(rubric).safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, problem: `${issue?.path.join('.') || 'answer'}: ${issue?.message}` };
  }
  const data = result.data as {
    preference: PositionPreference;
    margin: number;
    criteria: Record<string, { preference: PositionPreference; finding: string | null }>;
    rationale: string;
  };
  return {
    ok: true,
    answer: {
      preference: data.preference,
      margin: data.preference === 'tie' ? 0 : data.margin,
      criteria: rubric.criteria.map((c) => ({
        id: c.id,
        ...(data.criteria[c.id] as { preference: PositionPreference; finding: string | null }),
      })),
      rationale: data.rationale,
    },
  };
}

const SECOND_SHARE: Record<PositionPreference, number> = { output_1: 0, tie: 0.5, output_2: 1 };

/**
 * A pairwise answer read with output 1 = A and output 2 = B (how the arbiter is shown a pair) as a
 * {@link GraderAnswer}: `pass` when B is preferred, `score` B's share (1, ½ for a tie, 0), each
 * criterion's score likewise.
 */
export function pairwiseAsGraderAnswer(answer: PairwiseAnswer): GraderAnswer {
  return {
    pass: answer.preference === 'output_2',
    score: SECOND_SHARE[answer.preference],
    criteria: answer.criteria.map((c) => ({ id: c.id, score: SECOND_SHARE[c.preference], finding: c.finding })),
    rationale: answer.rationale,
  };
}

/** A position preference as a side, given which side was shown first. */
export function sideOf(preference: PositionPreference, first: PairSide): PairPreference {
  if (preference === 'tie') return 'tie';
  return preference === 'output_1' ? first : first === 'a' ? 'b' : 'a';
}

/** One order's answer with its positions mapped back to sides (the judge's and the arbiter's alike). */
export function orderJudgement(answer: PairwiseAnswer, first: PairSide): PairOrderJudgement {
  return {
    first,
    preference: sideOf(answer.preference, first),
    margin: answer.preference === 'tie' ? 0 : answer.margin,
    criteria: answer.criteria.map((c) => ({ id: c.id, preference: sideOf(c.preference, first), finding: c.finding })),
    rationale: answer.rationale,
  };
}

/** Both orders agree on a side (or a tie), or they are inconsistent — never a tie by default. */
export function agreedOutcome(one: PairPreference, other: PairPreference): PairOutcome {
  return one === other ? one : 'inconsistent';
}

/** B's share of a preference: 1 for B, ½ for a tie, 0 for A (a pair's score is its mean). */
export const B_SHARE: Readonly<Record<PairPreference, number>> = { a: 0, tie: 0.5, b: 1 };

/** A criterion's outcome over both orders, B's mean share and the distinct findings of the two. */
export interface PairCriterionOutcome {
  id: string;
  outcome: PairOutcome;
  score: number;
  finding: string | null;
}

/**
 * Each rubric criterion over a pair's two orders (the judge's and the arbiter's alike): agreed or
 * `inconsistent` (also when an order lacks it), B's share averaged (½ for a missing order), and the
 * findings of both orders, each once.
 */
export function pairCriteria(
  criteria: readonly { id: string }[],
  aFirst: PairOrderJudgement,
  bFirst: PairOrderJudgement,
): PairCriterionOutcome[] {
  return criteria.map((c) => {
    const one = aFirst.criteria.find((x) => x.id === c.id);
    const two = bFirst.criteria.find((x) => x.id === c.id);
    const findings = [one?.finding, two?.finding].filter((f): f is string => typeof f === 'string' && f !== '');
    return {
      id: c.id,
      outcome: one && two ? agreedOutcome(one.preference, two.preference) : 'inconsistent',
      score: ((one ? B_SHARE[one.preference] : 0.5) + (two ? B_SHARE[two.preference] : 0.5)) / 2,
      finding: findings.length > 0 ? [...new Set(findings)].join(' | ') : null,
    };
  });
}
