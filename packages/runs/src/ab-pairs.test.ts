import type { Facts, PointwiseSample } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { abPairSample } from './ab-pairs.ts';

const code = (id: string, output: string, model: string): PointwiseSample => ({
  id,
  kind: 'code',
  task_id: 'HumanEval/0',
  prompt: 'def add(a, b):',
  output,
  tests: 'assert add(1, 2) == 3',
  sut: { model, family: 'acme' },
});

const facts = (passed: number, ruff: number): Facts => ({
  kind: 'code',
  reference: null,
  tests: { passed, failed: 1 - passed, errors: 0, skipped: 0, total: 1, collected: 1, expected: 1, cases: [] },
  ruff: { version: '1', exit_code: 0, duration_ms: 1, errors: ruff, warnings: 0, diagnostics: [] },
  pyright: null,
  exit_code: passed ? 0 : 1,
  duration_ms: 5,
  timed_out: false,
  oom_killed: false,
  output_truncated: false,
  fabricated_claim: [],
  sandbox: null,
});

describe('gavel ab pairs', () => {
  it('makes A the base output and B the candidate output, carrying both code samples facts', () => {
    const pair = abPairSample(
      code('he0-base', 'return a - b', 'base-7b'),
      code('he0-cand', 'return a + b', 'cand-8b'),
      {
        base: facts(0, 2),
        candidate: facts(1, 0),
      },
    );
    expect(pair).toMatchObject({
      id: 'he0-base-vs-he0-cand',
      kind: 'pair',
      task_id: 'HumanEval/0',
      outputs: { a: 'return a - b', b: 'return a + b' },
      systems: { a: { model: 'base-7b' }, b: { model: 'cand-8b' } },
      metadata: { ab: { base_sample_id: 'he0-base', candidate_sample_id: 'he0-cand', kind: 'code' } },
    });
    expect(pair.carried_facts).toEqual({
      a: {
        tests: { passed: 0, total: 1, expected: 1 },
        ruff_errors: 2,
        pyright_errors: null,
        timed_out: false,
        oom_killed: false,
        exit_code: 1,
        reference_f1: null,
      },
      b: {
        tests: { passed: 1, total: 1, expected: 1 },
        ruff_errors: 0,
        pyright_errors: null,
        timed_out: false,
        oom_killed: false,
        exit_code: 0,
        reference_f1: null,
      },
    });
  });
});
