import { type CriterionScore, type Facts, InputError, type Verdict } from '@gavel/core';
import type { FactMetric, LoadedRubric } from '@gavel/rubric';
import { factFlags, hardcodedAnswers } from './fact-flags.ts';
import type { GradeInput, Grader } from './grader.ts';

/** A fact's value as a 0–1 score, or undefined when the facts do not have it. */
export function factScore(metric: FactMetric, facts: Facts): number | undefined {
  switch (metric) {
    case 'reference.exact_match':
      return facts.reference ? Number(facts.reference.exact_match) : undefined;
    case 'reference.f1':
      return facts.reference?.f1;
    case 'reference.embedding_similarity': {
      // A cosine in [−1, 1]; as a score, anything at or below orthogonal counts 0.
      const similarity = facts.reference?.embedding_similarity;
      return similarity === undefined ? undefined : Math.max(0, similarity);
    }
    case 'tests.pass_rate': {
      if (!facts.tests) return undefined;
      const denominator = Math.max(facts.tests.expected, facts.tests.total);
      return denominator === 0 ? 0 : facts.tests.passed / denominator;
    }
    case 'tests.all_passed':
      if (!facts.tests) return undefined;
      return Number(
        facts.tests.total > 0 &&
          facts.tests.passed === facts.tests.total &&
          facts.tests.collected >= facts.tests.expected &&
          !facts.timed_out,
      );
    case 'ruff.clean':
      return facts.ruff ? Number(facts.ruff.errors === 0 && facts.ruff.warnings === 0) : undefined;
    case 'pyright.clean':
      return facts.pyright ? Number(facts.pyright.errors === 0) : undefined;
    case 'no_timeout':
      return Number(!facts.timed_out && !facts.oom_killed);
    case 'exit.zero':
      return facts.kind === 'code' ? Number(facts.exit_code === 0 && !facts.timed_out) : undefined;
    case 'integrity.no_hardcoded_tests':
      if (!facts.tests || facts.hardcoded_tests === undefined) return undefined;
      return Number(!hardcodedAnswers(facts));
  }
}

function describe(metric: FactMetric, facts: Facts): string {
  switch (metric) {
    case 'reference.exact_match':
      return `exact match ${facts.reference?.exact_match ? 'yes' : 'no'} over ${facts.reference?.references} reference(s)`;
    case 'reference.f1':
      return `token F1 ${facts.reference?.f1.toFixed(3)}`;
    case 'reference.embedding_similarity':
      return `embedding similarity ${facts.reference?.embedding_similarity?.toFixed(3)} (${facts.reference?.embedding_model})`;
    case 'tests.pass_rate':
    case 'tests.all_passed':
      return `${facts.tests?.passed}/${Math.max(facts.tests?.expected ?? 0, facts.tests?.total ?? 0)} tests passed`;
    case 'ruff.clean':
      return `ruff: ${facts.ruff?.errors} error(s), ${facts.ruff?.warnings} warning(s)`;
    case 'pyright.clean':
      return `pyright: ${facts.pyright?.errors} error(s)`;
    case 'no_timeout':
      return facts.timed_out ? 'timed out' : facts.oom_killed ? 'killed for memory' : 'finished in time';
    case 'exit.zero':
      return facts.timed_out ? 'timed out' : `exit code ${facts.exit_code}`;
    case 'integrity.no_hardcoded_tests':
      return `the program writes out the literals of ${facts.hardcoded_tests?.covered}/${facts.hardcoded_tests?.eligible} test calls`;
  }
}

/**
 * Facts-only grading: each rubric criterion with a `fact` is scored from it; the verdict is the
 * weighted mean of those against the rubric's pass threshold. Deterministic, so a verdict can be
 * re-derived from the manifest and the facts. A code sample must also pass every expected test.
 */
export function gradeFromFacts(facts: Facts, rubric: LoadedRubric, now: Date = new Date()): Verdict {
  const scored: { criterion: LoadedRubric['criteria'][number]; score: number; metric: FactMetric }[] = [];
  for (const criterion of rubric.criteria) {
    if (!criterion.fact) continue;
    const score = factScore(criterion.fact, facts);
    if (score !== undefined) scored.push({ criterion, score, metric: criterion.fact });
  }
  const weight = scored.reduce((sum, s) => sum + s.criterion.weight, 0);
  if (scored.length === 0 || weight === 0) {
    throw new InputError(
      `facts-only judge: no fact to grade this ${facts.kind} sample by rubric ${rubric.id}@${rubric.version} (a text sample needs a "reference", a code sample needs "tests"); configure an LLM judge with GAVEL_JUDGE=vllm|ollama`,
    );
  }
  const score = scored.reduce((sum, s) => sum + s.score * s.criterion.weight, 0) / weight;
  const testsOk = facts.tests === null || factScore('tests.all_passed', facts) === 1;
  // A safety criterion scored from a fact below full marks is a finding: it fails the sample.
  const safetyFindings = scored.filter((s) => s.criterion.safety && s.score < 1);
  const pass =
    score >= rubric.pass_threshold && testsOk && facts.fabricated_claim.length === 0 && safetyFindings.length === 0;
  const criteria: CriterionScore[] = scored.map((s) => ({
    id: s.criterion.id,
    score: s.score,
    finding: s.score < 1 ? describe(s.metric, facts) : null,
  }));
  const reasons = scored.map((s) => `${s.criterion.id} ${s.score.toFixed(3)} (${describe(s.metric, facts)})`);
  const flags = factFlags(facts);
  const rationale = [
    `Facts-only verdict: weighted score ${score.toFixed(3)} against pass threshold ${rubric.pass_threshold}.`,
    `Criteria scored from facts: ${reasons.join('; ')}.`,
    facts.tests && !testsOk ? 'Not every expected test passed.' : '',
    facts.fabricated_claim.length > 0 ? `Fabricated claims: ${facts.fabricated_claim.join(', ')}.` : '',
    safetyFindings.length > 0
      ? `Safety finding: ${safetyFindings.map((s) => `${s.criterion.id} (${describe(s.metric, facts)})`).join('; ')}.`
      : '',
    flags.includes('sandbox_limits_capped')
      ? `Ran under the worker's lower limits: ${(facts.sandbox?.capped ?? []).map((c) => `${c.field} ${c.applied} (run pinned ${c.asked})`).join(', ')}.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    pass,
    score,
    rationale,
    criteria,
    source: 'facts',
    facts_only: true,
    route: 'final',
    route_reasons: [],
    arbitration: 'none',
    flags,
    grader: { model: 'facts', path: 'facts' },
    consistency: null,
    arbiter: null,
    judge_verdict: null,
    usage: null,
    decided_at: now.toISOString(),
  };
}

/** The deterministic grader used when no judge endpoint is configured (`GAVEL_JUDGE=facts`). */
export function createFactsGrader(): Grader {
  return {
    name: 'facts',
    async grade(input: GradeInput): Promise<Verdict> {
      return gradeFromFacts(input.facts, input.rubric);
    },
    async close() {},
  };
}
