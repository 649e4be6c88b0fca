import { clusteredMean } from './clustered-mean.ts';
import type { Comparison, RunFigures } from './comparison.ts';
import { pearson } from './correlation.ts';
import { criteriaDeltas } from './criteria-deltas.ts';
import { decidingInterval } from './decision-interval.ts';
import { factDrift } from './fact-drift.ts';
import { flips } from './flips.ts';
import { manifestDiff } from './manifest-diff.ts';
import { mcnemar } from './mcnemar.ts';
import { newcombePaired } from './newcombe-paired.ts';
import { ci95 } from './normal.ts';
import { pairedDelta } from './paired-delta.ts';
import { type Graded, type GradedPair, pairRuns } from './pairing.ts';
import { mde80 } from './power.ts';
import { RubricMismatchError, rubricChanges } from './rubric-check.ts';
import type { RunRecords } from './run-records.ts';
import { decide } from './ship-rule.ts';

export interface CompareOptions {
  /** Compare runs graded on different rubrics anyway; the result is marked not like-for-like. */
  allowRubricChange?: boolean;
  /**
   * Non-inferiority margin in percentage points: `decision.ship_blocked` when a larger drop cannot be
   * ruled out by the deciding interval — Newcombe's score interval with one sample per task, the wider
   * of it and the clustered Wald interval with several (see `decidingInterval`).
   */
  maxDropPts?: number;
  /** Recorded in `paired.seed`; no figure resamples, so it changes nothing. */
  seed?: number;
}

const METHOD_CLUSTERED =
  'cluster-robust SE by task_id (Liang–Zeger with G/(G−1), Miller 2024 §2.3); paired SE on per-pair differences; 95% CI = estimate ± 1.96·SE, clipped to the range of the figure; ' +
  'delta_pass_rate_ci95_score = Newcombe (1998) hybrid score interval (method 10) over all pairs; the decision uses the wider of it and the clustered delta_pass_rate_ci95';
const METHOD_PLAIN =
  'SE = sd/√n (sample sd); paired SE = sd of per-pair differences / √n; 95% CI = estimate ± 1.96·SE, clipped to the range of the figure; ' +
  'delta_pass_rate_ci95_score = Newcombe (1998) hybrid score interval (method 10), which decides';

// The pairs as a paired 2×2 table with the candidate first, so Newcombe's p₁ − p₂ is candidate − base:
// a passes in both, b in the candidate only (fixes), c in the base only (regressions), d in neither.
function scoreInterval(pairs: readonly GradedPair[]): [number, number] | null {
  if (pairs.length === 0) return null;
  const table = { a: 0, b: 0, c: 0, d: 0 };
  for (const p of pairs) {
    const cell = p.candidate.verdict.pass ? (p.base.verdict.pass ? 'a' : 'b') : p.base.verdict.pass ? 'c' : 'd';
    table[cell] += 1;
  }
  return newcombePaired(table).ci95;
}

function runFigures(runId: string | null, records: readonly Graded[], clusters: readonly string[]): RunFigures {
  const pass = clusteredMean(
    records.map((r) => (r.verdict.pass ? 1 : 0)),
    clusters,
  );
  const score = clusteredMean(
    records.map((r) => r.verdict.score),
    clusters,
  );
  return {
    run_id: runId,
    n: records.length,
    pass_rate: pass.mean,
    pass_rate_se: pass.se,
    pass_rate_ci95: ci95(pass.mean, pass.se, [0, 1]),
    mean_score: score.mean,
    mean_score_se: score.se,
  };
}

// The MDE at 80% power for these pairs. Connor's formula assumes independent pairs; when tasks hold several
// pairs, n is divided by the design effect deff = (clustered SE / unclustered SE)² of the pass-rate difference
// (Kish's effective sample size), so correlated samples do not count as new evidence.
function mdeFor(pairs: readonly GradedPair[], clusteredSe: number | null, discordant: number): number | null {
  const n = pairs.length;
  if (n === 0) return null;
  const d = pairs.map((p) => (p.candidate.verdict.pass ? 1 : 0) - (p.base.verdict.pass ? 1 : 0));
  const plain = clusteredMean(
    d,
    d.map((_, i) => String(i)),
  ).se;
  const deff = clusteredSe !== null && plain !== null && plain > 0 ? (clusteredSe / plain) ** 2 : 1;
  return mde80(n / deff, discordant / n);
}

/**
 * Compares a candidate run with a base run, paired sample by sample (see `pairRuns`): per-run
 * figures, the paired differences of pass rate and score, McNemar on the flips, the minimum
 * detectable effect, per-criterion and per-fact deltas, the regressions and fixes, the manifest
 * differences and the ship decision. The decision and `maxDropPts` rest on Newcombe's score interval
 * of the pass-rate difference (`delta_pass_rate_ci95_score`) when each task has one sample, and on the
 * wider of it and the clustered Wald interval (`delta_pass_rate_ci95`) when tasks have several;
 * `decision.interval` names the one used. Pure: the records come in, nothing is read or written.
 *
 * @throws {@link RubricMismatchError} naming both rubrics' hashes when the runs were graded on a
 * different rubric id, version or sha256, unless `allowRubricChange` (then `like_for_like` is false).
 */
export function compareRuns(base: RunRecords, candidate: RunRecords, options: CompareOptions = {}): Comparison {
  const pairing = pairRuns(base.records, candidate.records);
  const pairs = pairing.graded;
  const changes = rubricChanges(base, candidate, pairs);
  const first = changes[0];
  if (first && !options.allowRubricChange) throw new RubricMismatchError(first.base, first.candidate);

  const clusters = pairs.map((p) => p.task_id);
  const tasks = new Set(clusters).size;
  const clustered = tasks < pairs.length;
  const pass = pairedDelta(
    pairs.map((p) => (p.base.verdict.pass ? 1 : 0)),
    pairs.map((p) => (p.candidate.verdict.pass ? 1 : 0)),
    clusters,
  );
  const score = pairedDelta(
    pairs.map((p) => p.base.verdict.score),
    pairs.map((p) => p.candidate.verdict.score),
    clusters,
  );
  const passScore = scoreInterval(pairs);
  const { regressions, fixes } = flips(pairs);
  const b = regressions.length;
  const c = fixes.length;
  const runId = (run: RunRecords) => run.manifest?.run_id ?? run.records[0]?.run_id ?? null;
  return {
    like_for_like: changes.length === 0,
    paired: {
      n: pairs.length,
      tasks,
      clustered,
      method: clustered ? METHOD_CLUSTERED : METHOD_PLAIN,
      seed: options.seed ?? null,
      rubric_changes: changes,
    },
    base: runFigures(
      runId(base),
      pairs.map((p) => p.base),
      clusters,
    ),
    candidate: runFigures(
      runId(candidate),
      pairs.map((p) => p.candidate),
      clusters,
    ),
    delta_pass_rate: pass.delta,
    delta_pass_rate_se: pass.delta_se,
    delta_pass_rate_ci95: pass.delta_ci95,
    delta_pass_rate_ci95_score: passScore,
    delta_score: score.delta,
    delta_score_ci95: score.delta_ci95,
    correlation: pearson(
      pairs.map((p) => p.base.verdict.score),
      pairs.map((p) => p.candidate.verdict.score),
    ),
    mcnemar: mcnemar(b, c),
    mde_80: mdeFor(pairs, pass.delta_se, b + c),
    regressions,
    fixes,
    only_in_base: pairing.only_in_base,
    only_in_candidate: pairing.only_in_candidate,
    failed_in_either: pairing.failed_in_either,
    criteria: criteriaDeltas(pairs),
    facts: factDrift(pairs),
    decision: decide(decidingInterval(passScore, pass.delta_ci95, clustered), options.maxDropPts),
    manifest_diff: manifestDiff(base, candidate),
  };
}
