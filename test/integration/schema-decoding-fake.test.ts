import { GraderAnswer } from '@gavel/core';
import { answerSchemaFor } from '@gavel/rubric';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assertSupportedSchema, decodeUnderSchema, UnsupportedSchema } from '../fakes/schema-decoding.ts';
import { textRubric } from './judge-fixtures.ts';

// The fakes' constrained decoding is itself checked: what it answers must conform to the schema sent.
describe('the fake servers decode under the JSON schema of the request', () => {
  it('any-mode answers conform to the schema for every seed, including schemas other than ours', async () => {
    const rubric = await textRubric();
    const { $schema: _drop, ...loose } = z.toJSONSchema(GraderAnswer) as Record<string, unknown>;
    for (const schema of [answerSchemaFor(rubric), loose]) {
      const check = new Ajv({ strict: false }).compile(schema);
      const answers = Array.from({ length: 200 }, (_, seed) => JSON.parse(decodeUnderSchema(schema, 'x', 'any', seed)));
      expect(answers.filter((a) => !check(a))).toEqual([]);
      // the freedom the schema leaves is used: the answers differ
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBeGreaterThan(150);
    }
  });

  it('guided mode keeps what the policy meant where it conforms, and replaces only what does not', async () => {
    const rubric = await textRubric();
    const schema = answerSchemaFor(rubric);
    const meant = {
      pass: true,
      score: 0.9,
      criteria: Object.fromEntries(rubric.criteria.map((c) => [c.id, { score: 1, finding: null }])),
      rationale: 'fine',
    };
    expect(JSON.parse(decodeUnderSchema(schema, JSON.stringify(meant), 'guided', 1))).toEqual(meant);
    const listed = { ...meant, criteria: rubric.criteria.map((c) => ({ id: c.id, score: 1, finding: null })) };
    const decoded = JSON.parse(decodeUnderSchema(schema, JSON.stringify(listed), 'guided', 1));
    expect(decoded).toMatchObject({ pass: true, score: 0.9, rationale: 'fine' });
    expect(Object.keys(decoded.criteria)).toEqual(rubric.criteria.map((c) => c.id));
  });

  it('refuses a schema keyword it cannot decode, as a server refuses a grammar it cannot compile', () => {
    expect(() => assertSupportedSchema({ type: 'object', properties: { a: { $ref: '#/x' } } })).toThrow(
      UnsupportedSchema,
    );
  });
});
