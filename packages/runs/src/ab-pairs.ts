import { type CarriedFacts, type Facts, type PairSample, type PointwiseSample, toIdSafe } from '@gavel/core';

/** The facts a pair carries of one side from its own run; null when that run recorded none. */
export function carriedFacts(facts: Facts | null | undefined): CarriedFacts | null {
  if (!facts) return null;
  return {
    tests: facts.tests
      ? { passed: facts.tests.passed, total: facts.tests.total, expected: facts.tests.expected }
      : null,
    ruff_errors: facts.ruff?.errors ?? null,
    pyright_errors: facts.pyright?.errors ?? null,
    timed_out: facts.timed_out,
    oom_killed: facts.oom_killed,
    exit_code: facts.exit_code,
    reference_f1: facts.reference?.f1 ?? null,
  };
}

/**
 * The pair sample `gavel ab` builds of one base sample (A) and the candidate's sample of the same
 * task and index (B): the base's prompt and reference, both outputs, both systems, and — for code —
 * both samples' recorded facts, which the judge reads beside the outputs.
 */
export function abPairSample(
  base: PointwiseSample,
  candidate: PointwiseSample,
  facts: { base: Facts | null; candidate: Facts | null },
): PairSample {
  const carried = { a: carriedFacts(facts.base), b: carriedFacts(facts.candidate) };
  return {
    id: toIdSafe(`${base.id}-vs-${candidate.id}`),
    kind: 'pair',
    ...(base.task_id !== undefined ? { task_id: base.task_id } : {}),
    prompt: base.prompt,
    outputs: { a: base.output, b: candidate.output },
    systems: { a: base.sut, b: candidate.sut },
    ...(base.reference !== undefined ? { reference: base.reference } : {}),
    ...(carried.a || carried.b ? { carried_facts: carried } : {}),
    metadata: { ab: { base_sample_id: base.id, candidate_sample_id: candidate.id, kind: base.kind } },
  };
}
