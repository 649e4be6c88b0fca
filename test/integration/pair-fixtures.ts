import type { Facts, PairSample } from '@gavel/core';
import { type LoadedRubric, loadRubric } from '@gavel/rubric';
import { RUBRICS } from './judge-fixtures.ts';

export function pairRubric(): Promise<LoadedRubric> {
  return loadRubric(RUBRICS, 'pairwise-preference');
}

/** A pair whose candidate (b) is right and baseline (a) wrong, or the other way round. */
/** A pair sample whose prompt and outputs are plain text. */
export type TextPairSample = PairSample & { prompt: string; outputs: { a: string; b: string } };

export function pairCase(i: number, better: 'a' | 'b'): { sample: TextPairSample; facts: Facts } {
  const right = `Paris is the capital of France (${i}).`;
  const wrong = `Lyon is the capital of France (${i}).`;
  const outputs = better === 'b' ? { a: wrong, b: right } : { a: right, b: wrong };
  const side = (text: string) => ({
    chars: text.length,
    words: text.split(/\s+/).length,
    reference: { exact_match: false, f1: text === right ? 0.8 : 0.5, references: 1 },
  });
  return {
    sample: {
      id: `p-${i}`,
      kind: 'pair',
      task_id: `task-${i}`,
      prompt: `Question ${i}: what is the capital of France?`,
      outputs,
      systems: { a: { model: 'acme-7b', family: 'acme' }, b: { model: 'acme-8b', family: 'acme' } },
      reference: 'Paris is the capital of France.',
    },
    facts: {
      kind: 'pair',
      pair: { a: side(outputs.a), b: side(outputs.b) },
      reference: null,
      tests: null,
      ruff: null,
      pyright: null,
      exit_code: null,
      duration_ms: 0,
      timed_out: false,
      oom_killed: false,
      output_truncated: false,
      fabricated_claim: [],
      sandbox: null,
    },
  };
}
