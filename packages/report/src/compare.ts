import { clusteredMean } from './clustered-mean.ts';
import type { Comparison, RunFigures } from './comparison.ts';
import { pearson } from './correlation.ts';
import { criteriaDeltas } from './criteria-deltas.ts';
import { factDrift } from './fact-drift.ts';
import { flips } from './flips.ts';
import { manifestDiff } from './manifest-diff.ts';
import { mcnemar } from './mcnemar.ts';
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
  /** Non-inferiority margin in percentage points: `decision.ship_blocked` when a larger drop cannot be ruled out. */
  maxDropPts?: number;
  /** Recorded in `paired.seed`; no figure resamples, so it changes nothing. */
  seed?: number;
}

const METHOD_CLUSTERED =
  'cluster-robust SE by task_id (Liang–Zeger with G/(G−1), Miller 2024 §2.3); paired SE on per-pair differences; 95% CI = estimate ± 1.96·SE, clipped to the range of the figure';
const METHOD_PLAIN =
  'SE = sd/√n (sample sd); paired SE = sd of per-pair differences / √n; 95% CI = estimate ± 1.96·SE, clipped to the range of the figure';

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
 * differences and the ship decision. Pure: the records come in, nothing is read or written.
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
    decision: decide(pass.delta_ci95, options.maxDropPts, { pairs: pairs.length, discordant: b + c }),
    manifest_diff: manifestDiff(base, candidate),
  };
}
