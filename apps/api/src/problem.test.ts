import { describe, expect, it } from 'vitest';
import { lineProblem, problem } from './problem.ts';

describe('problem documents', () => {
  it('list the first 20 line problems and count the rest', () => {
    const errors = Array.from({ length: 23 }, (_, i) => ({ line: i + 1, field: 'id', message: 'bad' }));
    const p = problem('invalid-dataset', 422, 'Invalid dataset', '23 invalid line(s)', errors);
    expect(p.type).toBe('urn:gavel:problem:invalid-dataset');
    expect(p.errors?.map((e) => e.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(p.more_errors).toBe(3);
    expect(problem('invalid-dataset', 422, 't', 'd', errors.slice(0, 20))).not.toHaveProperty('more_errors');
    expect(problem('not-found', 404, 't', 'd')).not.toHaveProperty('errors');
  });

  it('name the part of a HumanEval body a line is in', () => {
    const error = { file: 'samples', line: 4, field: 'task_id', message: 'unknown task' };
    expect(lineProblem(error, 'samples')).toEqual({ line: 4, field: 'samples: task_id', message: 'unknown task' });
    expect(lineProblem(error)).toEqual({ line: 4, field: 'task_id', message: 'unknown task' });
  });
});
