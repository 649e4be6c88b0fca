import type { Graded, GradedPair } from './pairing.ts';

// A fact of one sample as a comparable value (what `changed_facts` reports).
type FactValue = string | number | boolean | null;

/** A fact that differs between the two samples of a flipped pair. */
export interface ChangedFact {
  fact: string;
  base: FactValue;
  candidate: FactValue;
}

/** A pair whose verdict flipped: pass → fail (a regression) or fail → pass (a fix). */
export interface Flip {
  task_id: string;
  base_sample_id: string;
  candidate_sample_id: string;
  base_pass: boolean;
  candidate_pass: boolean;
  base_score: number;
  candidate_score: number;
  changed_facts: ChangedFact[];
}

// The facts a reviewer compares first, flattened to one value each.
function factValues(record: Graded): Record<string, FactValue> {
  const f = record.facts;
  return {
    tests: f?.tests ? `${f.tests.passed}/${Math.max(f.tests.expected, f.tests.total)} passed` : null,
    tests_failed: f?.tests ? f.tests.failed : null,
    tests_errors: f?.tests ? f.tests.errors : null,
    ruff_errors: f?.ruff ? f.ruff.errors : null,
    pyright_errors: f?.pyright ? f.pyright.errors : null,
    exit_code: f ? f.exit_code : null,
    timed_out: f ? f.timed_out : null,
    oom_killed: f ? f.oom_killed : null,
    output_truncated: f ? f.output_truncated : null,
    fabricated_claim: f ? f.fabricated_claim.join('; ') || null : null,
    exact_match: f?.reference ? f.reference.exact_match : null,
    route: record.route ?? record.verdict.route,
    verdict_source: record.verdict.source,
  };
}

/** The facts that differ between the two samples of a pair, in a fixed order. */
export function changedFacts(pair: GradedPair): ChangedFact[] {
  const base = factValues(pair.base);
  const candidate = factValues(pair.candidate);
  return Object.keys(base)
    .filter((fact) => base[fact] !== candidate[fact])
    .map((fact) => ({ fact, base: base[fact] ?? null, candidate: candidate[fact] ?? null }));
}

function flip(pair: GradedPair): Flip {
  return {
    task_id: pair.task_id,
    base_sample_id: pair.base.sample_id,
    candidate_sample_id: pair.candidate.sample_id,
    base_pass: pair.base.verdict.pass,
    candidate_pass: pair.candidate.verdict.pass,
    base_score: pair.base.verdict.score,
    candidate_score: pair.candidate.verdict.score,
    changed_facts: changedFacts(pair),
  };
}

/** Regressions (pass → fail) and fixes (fail → pass) among the graded pairs, in the base run's order. */
export function flips(pairs: readonly GradedPair[]): { regressions: Flip[]; fixes: Flip[] } {
  return {
    regressions: pairs.filter((p) => p.base.verdict.pass && !p.candidate.verdict.pass).map(flip),
    fixes: pairs.filter((p) => !p.base.verdict.pass && p.candidate.verdict.pass).map(flip),
  };
}
