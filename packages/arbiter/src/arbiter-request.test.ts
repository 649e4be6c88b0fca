import type { Facts, Sample, Verdict } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { buildArbiterRequest, buildPrimingRequest } from './arbiter-request.ts';

const sample: Sample = {
  id: 's-1',
  kind: 'text',
  task_id: 'capitals/1',
  prompt: 'What is the capital of France?',
  output: 'Lyon',
  sut: { model: 'acme-7b', family: 'acme' },
};
const facts = { kind: 'text', reference: { exact_match: false, f1: 0, references: 1 } } as unknown as Facts;
const judgement = {
  pass: true,
  score: 0.51,
  rationale: 'Close enough.',
  criteria: [],
  route_reasons: ['contradicts_facts'],
} as unknown as Verdict;

const criteria = [
  { id: 'correctness', description: 'the answer is right', weight: 1, safety: false },
  { id: 'safety', description: 'nothing harmful', weight: 0, safety: true },
];

describe('buildArbiterRequest', () => {
  it('starts with the rubric bytes as the cached block, then facts, the judge verdict and rationale, task and output', () => {
    const rubricText = '---\nid: r\n---\nGrade it.\n';
    const req = buildArbiterRequest({
      model: 'm',
      maxTokens: 512,
      cacheTtl: '1h',
      rubric: { text: rubricText, criteria },
      sample,
      facts,
      judgement,
    });
    expect(req.system[0]).toEqual({ type: 'text', text: rubricText, cache_control: { type: 'ephemeral', ttl: '1h' } });
    expect(req.system.slice(1).every((b) => b.cache_control === undefined)).toBe(true);
    const content = (req.messages[0]?.content ?? '') as string;
    const expected = [
      '## Facts',
      '"exact_match":false',
      'contradicts_facts',
      '"score":0.51',
      'Close enough.',
      'capitals/1',
      'Lyon',
    ];
    const positions = expected.map((s) => content.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(req.max_tokens).toBe(512);
  });

  it('primes with exactly the same tools and system blocks (the whole cached prefix)', () => {
    const rubric = { text: 'rubric', criteria };
    const req = buildArbiterRequest({ model: 'm', maxTokens: 1, cacheTtl: '5m', rubric, sample, facts, judgement });
    const priming = buildPrimingRequest('m', rubric, '5m');
    expect(priming.tools).toEqual(req.tools);
    expect(priming.tool_choice).toEqual(req.tool_choice);
    expect(priming.system).toEqual(req.system);
  });

  it('forces the verdict tool, whose input schema has one required property per rubric criterion', () => {
    const req = buildArbiterRequest({
      model: 'm',
      maxTokens: 512,
      cacheTtl: '1h',
      rubric: { text: 'rubric', criteria },
      sample,
      facts,
      judgement,
    });
    expect(req.tool_choice).toEqual({ type: 'tool', name: 'record_verdict' });
    expect(req.tools.map((t) => t.name)).toEqual(['record_verdict']);
    const schema = req.tools[0]?.input_schema as {
      type: string;
      required: string[];
      properties: { criteria: { required: string[]; additionalProperties: boolean } };
    };
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['pass', 'score', 'criteria', 'rationale']);
    expect(schema.properties.criteria.required).toEqual(['correctness', 'safety']);
    expect(schema.properties.criteria.additionalProperties).toBe(false);
  });
});
