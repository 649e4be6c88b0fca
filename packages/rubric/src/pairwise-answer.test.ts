import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { answerSchemaFor, parseRubricAnswer } from './answer-schema.ts';
import { pairwiseAnswerSchemaFor, parsePairwiseAnswer } from './pairwise-answer.ts';

const rubric = {
  kind: 'pair' as const,
  criteria: [
    { id: 'correctness', description: 'c', weight: 1, safety: false },
    { id: 'clarity', description: 'd', weight: 0.5, safety: false },
  ],
};

const answer = {
  preference: 'output_2',
  margin: 0.7,
  criteria: {
    clarity: { preference: 'tie', finding: null },
    correctness: { preference: 'output_2', finding: 'output 1 names Lyon' },
  },
  rationale: 'Output 2 is right.',
};

describe('the pairwise answer schema', () => {
  it('accepts exactly one entry per criterion and refuses a missing or extra one, or an unknown preference', () => {
    const validate = new Ajv({ strict: false }).compile(pairwiseAnswerSchemaFor(rubric));
    expect(validate(answer)).toBe(true);
    expect(validate({ ...answer, criteria: { correctness: answer.criteria.correctness } })).toBe(false);
    expect(validate({ ...answer, preference: 'b' })).toBe(false);
    expect(parsePairwiseAnswer({ ...answer, preference: 'output_3' }, rubric)).toMatchObject({ ok: false });
    const extra = { ...answer, criteria: { ...answer.criteria, length: { preference: 'tie', finding: null } } };
    expect(parsePairwiseAnswer(extra, rubric)).toMatchObject({ ok: false });
    expect(answerSchemaFor(rubric)).toEqual(pairwiseAnswerSchemaFor(rubric));
  });

  it('returns criteria in rubric order and a tie with margin 0', () => {
    const parsed = parsePairwiseAnswer({ ...answer, preference: 'tie', margin: 0.4 }, rubric);
    expect(parsed).toEqual({
      ok: true,
      answer: {
        preference: 'tie',
        margin: 0,
        criteria: [
          { id: 'correctness', preference: 'output_2', finding: 'output 1 names Lyon' },
          { id: 'clarity', preference: 'tie', finding: null },
        ],
        rationale: 'Output 2 is right.',
      },
    });
  });

  it('as the arbiter reads it (output 1 = A): B preferred passes with score 1, criteria as B shares', () => {
    expect(parseRubricAnswer(answer, rubric)).toEqual({
      ok: true,
      answer: {
        pass: true,
        score: 1,
        criteria: [
          { id: 'correctness', score: 1, finding: 'output 1 names Lyon' },
          { id: 'clarity', score: 0.5, finding: null },
        ],
        rationale: 'Output 2 is right.',
      },
    });
  });
});
