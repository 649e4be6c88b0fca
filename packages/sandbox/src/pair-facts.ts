import { type Content, contentImages, contentText, type Facts, type PairSample, type PairSideFacts } from '@gavel/core';
import { referenceFacts } from './reference-metrics.ts';
import { structuredFacts } from './structured-facts.ts';

function sideFacts(
  content: Content,
  reference: PairSample['reference'],
  carried: NonNullable<PairSample['carried_facts']>['a'] | undefined,
  schema: PairSample['schema'],
): PairSideFacts {
  const output = contentText(content);
  const structured = structuredFacts(content, schema, reference);
  return {
    ...(structured ? { structured } : {}),
    ...(carried ? { carried } : {}),
    images: contentImages(content).length,
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
    pair: {
      a: sideFacts(sample.outputs.a, sample.reference, sample.carried_facts?.a, sample.schema),
      b: sideFacts(sample.outputs.b, sample.reference, sample.carried_facts?.b, sample.schema),
    },
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
