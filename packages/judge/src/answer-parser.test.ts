import { describe, expect, it } from 'vitest';
import { parseGraderAnswer } from './answer-parser.ts';

const rubric = { criteria: [{ id: 'a' }, { id: 'b' }] } as Parameters<typeof parseGraderAnswer>[1];
const answer = (criteria: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    pass: true,
    score: 0.8,
    criteria: Object.fromEntries(criteria.map((id) => [id, { score: 1, finding: null }])),
    rationale: 'fine',
    ...extra,
  });

describe('grader answers', () => {
  it("accepts an answer that scores every criterion of the rubric, in any order, listing them in the rubric's", () => {
    const parsed = parseGraderAnswer(answer(['b', 'a']), rubric);
    expect(parsed).toMatchObject({ ok: true, answer: { score: 0.8 } });
    expect(parsed.ok && parsed.answer.criteria.map((c) => c.id)).toEqual(['a', 'b']);
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
    expect(parseGraderAnswer(answer(['a']), rubric)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^criteria\.b: /),
    });
    expect(parseGraderAnswer(answer(['a', 'b', 'c']), rubric)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^criteria: /),
    });
  });
});
