import { describe, expect, it } from 'vitest';
import { graderAnswerJsonSchema, parseGraderAnswer } from './answer-parser.ts';

const rubric = { criteria: [{ id: 'a' }, { id: 'b' }] } as Parameters<typeof parseGraderAnswer>[1];
const answer = (criteria: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    pass: true,
    score: 0.8,
    criteria: criteria.map((id) => ({ id, score: 1, finding: null })),
    rationale: 'fine',
    ...extra,
  });

describe('grader answers', () => {
  it('derives a closed JSON schema from the zod schema', () => {
    const schema = graderAnswerJsonSchema();
    expect(schema).not.toHaveProperty('$schema');
    expect(schema).toMatchObject({
      type: 'object',
      required: ['pass', 'score', 'criteria', 'rationale'],
      additionalProperties: false,
    });
  });

  it('accepts an answer that lists every criterion once, in any order', () => {
    expect(parseGraderAnswer(answer(['b', 'a']), rubric)).toMatchObject({ ok: true, answer: { score: 0.8 } });
  });

  it('says what is wrong with an answer that does not validate', () => {
    expect(parseGraderAnswer('{"pass": tru', rubric)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^not JSON/),
    });
    expect(parseGraderAnswer(answer(['a', 'b'], { score: 1.5 }), rubric)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^score: /),
    });
    expect(parseGraderAnswer(answer(['a', 'a']), rubric)).toMatchObject({
      ok: false,
      problem: 'criteria must be exactly [a, b], got [a, a]',
    });
  });
});
