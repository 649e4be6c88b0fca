import type { ParsedDataset } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { expandForGeneration, precisionProblem, promptLine } from './generation-plan.ts';

const sut = { model: 'm', family: 'acme' };

describe('the generation plan', () => {
  it('makes n samples per prompt: task id kept, index in the id, seed + index', () => {
    const prompts: ParsedDataset = {
      samples: [{ id: 'q1', kind: 'text', prompt: 'Say hi', output: '', sut }],
      lines: [{ file: 'p.jsonl', line: 3 }],
      errors: [],
    };
    const out = expandForGeneration(prompts, 3, 10);
    expect(out.samples.map((s) => [s.id, s.task_id, s.kind === 'pair' ? null : s.generation])).toEqual([
      ['q1-0', 'q1', { index: 0, seed: 10 }],
      ['q1-1', 'q1', { index: 1, seed: 11 }],
      ['q1-2', 'q1', { index: 2, seed: 12 }],
    ]);
    expect(out.lines).toEqual([3, 3, 3].map((line) => ({ file: 'p.jsonl', line })));
  });

  it('refuses a prompt line with an output or another SUT, naming the field', () => {
    const at = { file: 'p.jsonl', line: 2 };
    expect(promptLine({ id: 'a', output: 'x' }, sut, at)).toEqual({
      error: expect.objectContaining({ line: 2, field: 'output' }),
    });
    expect(promptLine({ id: 'a', sut: { model: 'other', family: 'x' } }, sut, at)).toEqual({
      error: expect.objectContaining({ field: 'sut.model' }),
    });
    expect(promptLine({ id: 'a', kind: 'text', prompt: 'p' }, sut, at)).toEqual({
      value: { id: 'a', kind: 'text', prompt: 'p', output: '', sut },
    });
  });

  it('refuses a compressed SUT unless it is an open-weight baseline', () => {
    expect(precisionProblem({ model: 'm', precision: 'bf16' }, false)).toBeUndefined();
    expect(precisionProblem({ model: 'm' }, false)).toBeUndefined();
    expect(precisionProblem({ model: 'm', precision: 'fp4' }, false)).toMatch(/declared fp4: .*pass --baseline/);
    expect(precisionProblem({ model: 'm', precision: 'int4' }, true)).toBeUndefined();
  });
});
