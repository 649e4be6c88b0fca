import type { Verdict } from '@gavel/core';
import type { RubricCriterion } from '../rubric.ts';
import {
  type Confusion,
  cohenKappa,
  confusion,
  type Kappa,
  type Rate,
  rate,
  trueNegativeRate,
  truePositiveRate,
} from './agreement.ts';
import { type CriterionSpread, criterionSpreads } from './criterion-spread.ts';

/** The bounds the discriminative gate holds a rubric to (the defaults of `gavel rubric check`). */
export interface DiscriminativeThresholds {
  /** @default [0.05, 0.95] */
  pass_rate: [number, number];
  /** @default 0.6 */
  min_kappa: number;
  /** @default 0.8 */
  min_tpr: number;
  /** @default 0.8 */
  min_tnr: number;
}

export const DEFAULT_DISCRIMINATIVE: DiscriminativeThresholds = {
  pass_rate: [0.05, 0.95],
  min_kappa: 0.6,
  min_tpr: 0.8,
  min_tnr: 0.8,
};

export interface LabelledOutcome {
  sample_id: string;
  label: 'good' | 'bad';
  /** Null when the sample ended in a failed job. */
  verdict: Pick<Verdict, 'pass' | 'score' | 'criteria' | 'consistency'> | null;
  failure?: string;
}

export interface DiscriminativeResult {
  passed: boolean;
  reasons: string[];
  n: number;
  graded: number;
  pass_rate: Rate | null;
  confusion: Confusion;
  kappa: Kappa | null;
  tpr: Rate | null;
  tnr: Rate | null;
  criteria: CriterionSpread[];
  /** Over the samples judged k extra times: mean agreement and mean score variance. */
  self_consistency: { samples: number; mean_agreement: number; mean_score_variance: number } | null;
  no_verdict: { sample_id: string; reason: string }[];
  thresholds: DiscriminativeThresholds;
}

const fmt = (x: number) => x.toFixed(3);

/**
 * The discriminative gate, a pure function of the labelled calibration outcomes: the pass rate lies
 * inside the bounds, Cohen's κ, TPR and TNR reach their minimum (point estimates; each reported with
 * its 95% interval), no weighted criterion that the judge scored is constant, and every calibration
 * sample got a verdict.
 */
export function discriminativeGate(
  outcomes: readonly LabelledOutcome[],
  criteria: readonly RubricCriterion[],
  thresholds: DiscriminativeThresholds = DEFAULT_DISCRIMINATIVE,
): DiscriminativeResult {
  const reasons: string[] = [];
  const graded = outcomes.filter((o) => o.verdict !== null);
  const noVerdict = outcomes
    .filter((o) => o.verdict === null)
    .map((o) => ({ sample_id: o.sample_id, reason: o.failure ?? 'no verdict' }));
  if (noVerdict.length > 0) reasons.push(`${noVerdict.length} calibration sample(s) got no verdict`);
  const matrix = confusion(graded.map((o) => ({ label: o.label, pass: o.verdict?.pass === true })));
  const passes = matrix.tp + matrix.fp;
  const passRate = rate(passes, graded.length);
  const kappa = cohenKappa(matrix);
  const tpr = truePositiveRate(matrix);
  const tnr = trueNegativeRate(matrix);
  const [lo, hi] = thresholds.pass_rate;
  if (!passRate) reasons.push('no calibration sample was graded');
  else if (passRate.value < lo || passRate.value > hi) {
    reasons.push(
      `pass rate ${fmt(passRate.value)} (${passes}/${graded.length}) is outside [${lo}, ${hi}]: ${passRate.value > hi ? 'nearly everything passes' : 'nearly everything fails'}`,
    );
  }
  if (!kappa) reasons.push("Cohen's κ is undefined (labels and verdicts both constant)");
  else if (kappa.kappa < thresholds.min_kappa) {
    reasons.push(`Cohen's κ ${fmt(kappa.kappa)} is below ${thresholds.min_kappa}`);
  }
  if (!tpr) reasons.push('no sample labelled good: TPR is undefined');
  else if (tpr.value < thresholds.min_tpr) reasons.push(`TPR ${fmt(tpr.value)} is below ${thresholds.min_tpr}`);
  if (!tnr) reasons.push('no sample labelled bad: TNR is undefined');
  else if (tnr.value < thresholds.min_tnr) reasons.push(`TNR ${fmt(tnr.value)} is below ${thresholds.min_tnr}`);
  const spreads = criterionSpreads(criteria, (id) =>
    graded.flatMap((o) => o.verdict?.criteria.filter((s) => s.id === id).map((s) => s.score) ?? []),
  );
  for (const s of spreads.filter((s) => s.constant)) {
    reasons.push(
      `criterion ${s.id} (weight ${s.weight}) scored the same on all ${s.scored} sample(s): it measures nothing`,
    );
  }
  const consistent = graded.flatMap((o) => (o.verdict?.consistency ? [o.verdict.consistency] : []));
  const selfConsistency =
    consistent.length === 0
      ? null
      : {
          samples: consistent.length,
          mean_agreement: consistent.reduce((s, c) => s + c.agreement, 0) / consistent.length,
          mean_score_variance: consistent.reduce((s, c) => s + c.score_variance, 0) / consistent.length,
        };
  return {
    passed: reasons.length === 0,
    reasons,
    n: outcomes.length,
    graded: graded.length,
    pass_rate: passRate,
    confusion: matrix,
    kappa,
    tpr,
    tnr,
    criteria: spreads,
    self_consistency: selfConsistency,
    no_verdict: noVerdict,
    thresholds,
  };
}
