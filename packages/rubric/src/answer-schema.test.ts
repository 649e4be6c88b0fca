import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { answerSchemaFor, parseRubricAnswer } from './answer-schema.ts';

const rubric = { criteria: [{ id: 'tests' }, { id: 'spec' }] } as Parameters<typeof answerSchemaFor>[0];

const valid = {
  pass: true,
  score: 0.8,
  criteria: { tests: { score: 1, finding: null }, spec: { score: 0.5, finding: 'misses the empty list' } },
  rationale: 'All tests passed.',
};

describe('the answer schema derived from a rubric', () => {
  it('has one required property per criterion id, each score in 0..1, and nothing else', () => {
    const schema = answerSchemaFor(rubric) as {
      required: string[];
      additionalProperties: boolean;
      properties: {
        criteria: { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
      };
    };
    expect(schema.required).toEqual(['pass', 'score', 'criteria', 'rationale']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.criteria.properties)).toEqual(['tests', 'spec']);
    expect(schema.properties.criteria.required).toEqual(['tests', 'spec']);
    expect(schema.properties.criteria.additionalProperties).toBe(false);
    expect(schema.properties.criteria.properties.tests).toMatchObject({
      properties: { score: { type: 'number', minimum: 0, maximum: 1 } },
      required: ['score', 'finding'],
    });
  });

  it('accepts and refuses exactly what an independent JSON Schema validator (ajv) does', () => {
    const check = new Ajv({ strict: false }).compile(answerSchemaFor(rubric));
    const cases: unknown[] = [
      valid,
      { ...valid, criteria: { tests: { score: 1, finding: null } } },
      { ...valid, criteria: { ...valid.criteria, style: { score: 1, finding: null } } },
      { ...valid, criteria: { ...valid.criteria, spec: { score: 1.5, finding: null } } },
      { ...valid, criteria: { ...valid.criteria, spec: { score: 0.5 } } },
      { ...valid, score: -0.1 },
      { ...valid, rationale: '' },
      { ...valid, extra: 1 },
      { ...valid, criteria: [{ id: 'tests', score: 1, finding: null }] },
    ];
    expect(cases.map((c) => parseRubricAnswer(c, rubric).ok)).toEqual(cases.map((c) => check(c)));
    expect(cases.map((c) => check(c))).toEqual([true, false, false, false, false, false, false, false, false]);
  });

  it("returns the answer with the criteria as a list in the rubric's order", () => {
    const reordered = { ...valid, criteria: { spec: valid.criteria.spec, tests: valid.criteria.tests } };
    expect(parseRubricAnswer(reordered, rubric)).toEqual({
      ok: true,
      answer: {
        pass: true,
        score: 0.8,
        rationale: 'All tests passed.',
        criteria: [
          { id: 'tests', score: 1, finding: null },
          { id: 'spec', score: 0.5, finding: 'misses the empty list' },
        ],
      },
    });
  });

  it('names the field and the unknown criterion of an answer that does not validate', () => {
    const extra = { ...valid, criteria: { ...valid.criteria, style: { score: 1, finding: null } } };
    expect(parseRubricAnswer(extra, rubric)).toEqual({
      ok: false,
      problem: expect.stringMatching(/^criteria: .*style/),
    });
    const missing = { ...valid, criteria: { tests: valid.criteria.tests } };
    expect(parseRubricAnswer(missing, rubric)).toEqual({
      ok: false,
      problem: expect.stringMatching(/^criteria\.spec: /),
    });
  });
});
