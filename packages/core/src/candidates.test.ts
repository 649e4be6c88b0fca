import { describe, expect, it } from 'vitest';
import { parseNativeJsonl } from './dataset.ts';

describe('a candidates line', () => {
  it('becomes one pointwise sample per candidate, of one task, each with its system', () => {
    const line = {
      id: 'q1',
      kind: 'candidates',
      prompt: 'Capital of France?',
      reference: 'Paris',
      metadata: { source: 'demo' },
      candidates: [
        { output: 'Paris', sut: { model: 'm1', family: 'f' } },
        { output: 'Lyon', sut: { model: 'm2', family: 'g' } },
      ],
    };
    const parsed = parseNativeJsonl({ path: 'c.jsonl', sha256: '', text: `${JSON.stringify(line)}\n` });
    expect(parsed.errors).toEqual([]);
    expect(parsed.samples).toEqual([
      {
        id: 'q1-c1',
        kind: 'text',
        task_id: 'q1',
        prompt: 'Capital of France?',
        output: 'Paris',
        reference: 'Paris',
        sut: { model: 'm1', family: 'f' },
        metadata: { source: 'demo', candidates: { set: 'q1', index: 1 } },
      },
      {
        id: 'q1-c2',
        kind: 'text',
        task_id: 'q1',
        prompt: 'Capital of France?',
        output: 'Lyon',
        reference: 'Paris',
        sut: { model: 'm2', family: 'g' },
        metadata: { source: 'demo', candidates: { set: 'q1', index: 2 } },
      },
    ]);
    expect(parsed.lines).toEqual([
      { file: 'c.jsonl', line: 1 },
      { file: 'c.jsonl', line: 1 },
    ]);
  });

  it('names the line and field of a bad one, and a clash with another sample id', () => {
    const one = {
      id: 'q',
      kind: 'candidates',
      prompt: 'p',
      candidates: [{ output: 'o', sut: { model: 'm', family: 'f' } }],
    };
    const text = `${JSON.stringify(one)}\n${JSON.stringify({ ...one, candidates: [{ output: 'o' }, { output: 'p' }] })}\n`;
    const parsed = parseNativeJsonl({ path: 'c.jsonl', sha256: '', text });
    expect(parsed.samples).toEqual([]);
    expect(parsed.errors.map((e) => [e.line, e.field])).toEqual([
      [1, 'candidates'],
      [2, 'candidates.0.sut'],
      [2, 'candidates.1.sut'],
    ]);
    expect(parsed.errors[0]?.message).toBe('at least two candidates');
  });
});
