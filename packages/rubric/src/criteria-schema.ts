import type { RubricHeader } from './rubric.ts';

/**
 * The `criteria` part of an answer schema, shared by pointwise and pairwise answers: an object with
 * exactly one property per rubric criterion id, each holding `entry`'s fields and a `finding` (a
 * string, or null), described by `finding`.
 */
export function criteriaSchema(
  rubric: Pick<RubricHeader, 'criteria'>,
  entry: Record<string, unknown>,
  finding: string,
): Record<string, unknown> {
  return {
    type: 'object',
    description: 'one entry per rubric criterion',
    properties: Object.fromEntries(
      rubric.criteria.map((c) => [
        c.id,
        {
          type: 'object',
          description: c.description,
          properties: { ...entry, finding: { type: ['string', 'null'], description: finding } },
          required: [...Object.keys(entry), 'finding'],
          additionalProperties: false,
        },
      ]),
    ),
    required: rubric.criteria.map((c) => c.id),
    additionalProperties: false,
  };
}
