import { describe, expect, it } from 'vitest';
import { structuredFacts } from './structured-facts.ts';

const schema = {
  type: 'object',
  properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 0 } },
  required: ['city', 'population'],
  additionalProperties: false,
};
const reference = JSON.stringify({ city: 'Paris', population: 2102650 });

describe('structured output facts', () => {
  it('a json part: valid against the schema, every reference field equal', () => {
    expect(
      structuredFacts([{ type: 'json', data: { city: 'Paris', population: 2102650 } }], schema, reference),
    ).toEqual({
      parse_error: null,
      schema_valid: true,
      schema_errors: [],
      field_match: { matched: 2, total: 2, missing: [], different: [] },
    });
  });

  it('a text output that is JSON but breaks the schema, with one field wrong and none missing', () => {
    const facts = structuredFacts('{"city": "Paris", "population": -5}', schema, reference);
    expect(facts?.parse_error).toBeNull();
    expect(facts?.schema_valid).toBe(false);
    expect(facts?.schema_errors).toEqual(['/population: must be >= 0']);
    expect(facts?.field_match).toEqual({ matched: 1, total: 2, missing: [], different: ['population'] });
  });

  it('a text output that does not parse, a missing field, and nothing structured to measure', () => {
    expect(structuredFacts('Paris, about two million', schema, reference)).toMatchObject({
      parse_error: expect.stringMatching(/^not JSON: /),
      schema_valid: null,
      field_match: null,
    });
    expect(structuredFacts('{"city": "Paris"}', undefined, reference)?.field_match).toEqual({
      matched: 1,
      total: 2,
      missing: ['population'],
      different: [],
    });
    expect(structuredFacts('Paris', undefined, 'Paris')).toBeNull();
    expect(() => structuredFacts('{}', { type: 'objekt' }, undefined)).toThrow(/schema: not a valid JSON Schema/);
  });
});
