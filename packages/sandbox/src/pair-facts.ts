import type { Facts, PairSample, PairSideFacts } from '@gavel/core';
import { referenceFacts } from './reference-metrics.ts';

function sideFacts(output: string, reference: PairSample['reference']): PairSideFacts {
  return {
    chars: output.length,
    words: output.split(/\s+/).filter(Boolean).length,
    reference: reference === undefined ? null : referenceFacts(output, reference),
  };
}

/** Facts of a pair: each side's length and, with a reference, its metrics; no container is started. */
export function pairFacts(sample: PairSample): Facts {
  const started = performance.now();
  return {
    kind: 'pair',
    pair: { a: sideFacts(sample.outputs.a, sample.reference), b: sideFacts(sample.outputs.b, sample.reference) },
    reference: null,
    tests: null,
    ruff: null,
    pyright: null,
    exit_code: null,
    duration_ms: performance.now() - started,
    timed_out: false,
    oom_killed: false,
    output_truncated: false,
    fabricated_claim: [],
    sandbox: null,
  };
}
