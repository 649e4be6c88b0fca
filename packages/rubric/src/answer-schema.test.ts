import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { answerSchemaFor, parseRubricAnswer } from './answer-schema.ts';

const rubric = {
  criteria: [
    { id: 'correctness', description: 'the code is right', weight: 0.7, safety: false },
    { id: 'style', description: 'the code reads well', weight: 0.3, safety: false },
  ],
};

describe('the rubric-derived answer schema', () => {
  it('has exactly one required property per criterion id, each scored 0..1, and nothing else', () => {
    const schema = answerSchemaFor(rubric) as {
      required: string[];
      additionalProperties: boolean;
      properties: {
        criteria: {
          properties: Record<string, { properties: { score: unknown } }>;
          required: string[];
          additionalProperties: boolean;
        };
      };
    };
    expect(schema.required).toEqual(['pass', 'score', 'criteria', 'rationale']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.criteria.properties)).toEqual(['correctness', 'style']);
    expect(schema.properties.criteria.required).toEqual(['correctness', 'style']);
    expect(schema.properties.criteria.additionalProperties).toBe(false);
    expect(schema.properties.criteria.properties.style?.properties.score).toEqual({
      type: 'number',
      minimum: 0,
      maximum: 1,
    });
  });

  it('reads a conforming answer into criteria in rubric order and names the first missing or unknown field', () => {
    const good = {
      pass: true,
      score: 0.8,
      criteria: { style: { score: 0.5, finding: 'long lines' }, correctness: { score: 1, finding: null } },
      rationale: 'fine',
    };
    expect(parseRubricAnswer(good, rubric)).toEqual({
      ok: true,
      answer: {
        pass: true,
        score: 0.8,
        criteria: [
          { id: 'correctness', score: 1, finding: null },
          { id: 'style', score: 0.5, finding: 'long lines' },
        ],
        rationale: 'fine',
      },
    });
    const { criteria: _drop, ...noCriteria } = good;
    expect(parseRubricAnswer(noCriteria, rubric)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^criteria: /),
    });
    const unknownId = { ...good, criteria: { ...good.criteria, speed: { score: 1, finding: null } } };
    expect(parseRubricAnswer(unknownId, rubric)).toMatchObject({ ok: false, problem: expect.stringMatching(/speed/) });
    const outOfRange = { ...good, criteria: { ...good.criteria, style: { score: 7, finding: null } } };
    expect(parseRubricAnswer(outOfRange, rubric)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^criteria\.style\.score: /),
    });
  });

  it('accepts and refuses exactly what an independent JSON Schema validator (ajv) does with the schema', () => {
    const check = new Ajv({ strict: false }).compile(answerSchemaFor(rubric));
    const valid = {
      pass: true,
      score: 0.8,
      criteria: { correctness: { score: 1, finding: null }, style: { score: 0.5, finding: 'long lines' } },
      rationale: 'fine',
    };
    const cases: unknown[] = [
      valid,
      { ...valid, criteria: { correctness: { score: 1, finding: null } } },
      { ...valid, criteria: { ...valid.criteria, speed: { score: 1, finding: null } } },
      { ...valid, criteria: { ...valid.criteria, style: { score: 1.5, finding: null } } },
      { ...valid, criteria: { ...valid.criteria, style: { score: 0.5 } } },
      { ...valid, score: -0.1 },
      { ...valid, rationale: '' },
      { ...valid, extra: 1 },
      { ...valid, criteria: [{ id: 'correctness', score: 1, finding: null }] },
    ];
    expect(cases.map((c) => check(c))).toEqual([true, false, false, false, false, false, false, false, false]);
    expect(cases.map((c) => parseRubricAnswer(c, rubric).ok)).toEqual(cases.map((c) => check(c)));
  });
});
