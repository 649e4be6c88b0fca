import type { PairOutcome, PairSide, PairwiseVerdict } from '@gavel/core';
import type { RubricCriterion } from '../rubric.ts';
import { cohenKappaTable, type Kappa, type Rate, rate } from './agreement.ts';
import { criterionSpreads } from './criterion-spread.ts';

/** The bounds the pairwise discriminative gate holds a pair rubric to (the defaults of `gavel rubric check`). */
export interface PairDiscriminativeThresholds {
  /** Share of pairs whose outcome is the labelled better side. @default 0.8 */
  min_agreement: number;
  /** Cohen's κ between labels and outcomes. @default 0.6 */
  min_kappa: number;
  /** The agreement among pairs labelled `a`, and among those labelled `b` (no side bias). @default 0.8 */
  min_side_agreement: number;
  /** Share of pairs whose two orders gave the same preference. @default 0.8 */
  min_position_consistency: number;
}

export const DEFAULT_PAIR_DISCRIMINATIVE: PairDiscriminativeThresholds = {
  min_agreement: 0.8,
  min_kappa: 0.6,
  min_side_agreement: 0.8,
  min_position_consistency: 0.8,
};

/** The pairwise part of a verdict, as far as the gates read it. */
export type PairVerdictView = {
  pairwise?: Pick<PairwiseVerdict, 'outcome' | 'consistent' | 'orders' | 'criteria' | 'decided_by'>;
};

export interface PairLabelledOutcome {
  sample_id: string;
  /** The side a calibration pair is labelled better. */
  label: PairSide;
  /** Null when the pair ended in a failed job. */
  verdict: PairVerdictView | null;
  failure?: string;
}

/** The outcomes in the order of the agreement table's columns (and of κ's categories). */
export const PAIR_OUTCOMES: readonly PairOutcome[] = ['a', 'b', 'tie', 'inconsistent'];

export type OutcomeCounts = Record<PairOutcome, number>;

export interface PairDiscriminativeResult {
  kind: 'pair';
  passed: boolean;
  reasons: string[];
  n: number;
  graded: number;
  /** Label (the better side) × outcome. */
  table: { a: OutcomeCounts; b: OutcomeCounts };
  /** Pairs whose outcome is the labelled side, with its Wilson interval. */
  agreement: Rate | null;
  /** κ between label and outcome over the categories a, b, tie, inconsistent. */
  kappa: Kappa | null;
  /** The agreement among the pairs labelled `a`, and among those labelled `b`. */
  side_agreement: { a: Rate | null; b: Rate | null };
  /** The judge's two orders agreed (before any arbiter), with its Wilson interval. */
  position_consistency: Rate | null;
  /** Pairs whose outcome is B (a pair verdict's `pass`): the pass rate of a pair rubric. */
  b_preferred: Rate | null;
  decided_by_arbiter: number;
  criteria: { id: string; weight: number; scored: number; distinct: number; constant: boolean }[];
  no_verdict: { sample_id: string; reason: string }[];
  thresholds: PairDiscriminativeThresholds;
}

const fmt = (x: number) => x.toFixed(3);
const emptyCounts = (): OutcomeCounts => ({ a: 0, b: 0, tie: 0, inconsistent: 0 });

/**
 * The discriminative gate of a pair rubric, a pure function of labelled calibration pairs (each
 * with a known better side): the outcome agrees with the label often enough overall and on each
 * side (a rubric that always prefers B agrees on half a balanced set, and on no pair labelled A),
 * Cohen's κ between label and outcome reaches its minimum, the judge gave the same preference in
 * both orders often enough, no weighted criterion had the same outcome on every pair, and every
 * pair got a verdict. Ties and inconsistent outcomes count as disagreement.
 */
export function pairDiscriminativeGate(
  outcomes: readonly PairLabelledOutcome[],
  criteria: readonly RubricCriterion[],
  thresholds: PairDiscriminativeThresholds = DEFAULT_PAIR_DISCRIMINATIVE,
): PairDiscriminativeResult {
  const reasons: string[] = [];
  const graded: (PairLabelledOutcome & { pairwise: NonNullable<PairVerdictView['pairwise']> })[] = [];
  const noVerdict: { sample_id: string; reason: string }[] = [];
  for (const o of outcomes) {
    if (o.verdict?.pairwise) graded.push({ ...o, pairwise: o.verdict.pairwise });
    else
      noVerdict.push({
        sample_id: o.sample_id,
        reason: o.verdict ? 'the verdict has no pairwise outcome' : (o.failure ?? 'no verdict'),
      });
  }
  if (noVerdict.length > 0) reasons.push(`${noVerdict.length} calibration pair(s) got no pairwise verdict`);

  const table = { a: emptyCounts(), b: emptyCounts() };
  for (const g of graded) table[g.label][g.pairwise.outcome] += 1;
  const agreed = table.a.a + table.b.b;
  const agreement = rate(agreed, graded.length);
  // Rows: the label as a category of the same four (a rater that never says tie or inconsistent).
  const kappa = cohenKappaTable(
    PAIR_OUTCOMES.map((label) => PAIR_OUTCOMES.map((o) => (label === 'a' || label === 'b' ? table[label][o] : 0))),
  );
  const labelled = (side: PairSide) => PAIR_OUTCOMES.reduce((s, o) => s + table[side][o], 0);
  const side_agreement = { a: rate(table.a.a, labelled('a')), b: rate(table.b.b, labelled('b')) };
  const consistent = graded.filter((g) => g.pairwise.consistent).length;
  const position_consistency = rate(consistent, graded.length);
  const b_preferred = rate(table.a.b + table.b.b, graded.length);

  if (!agreement) reasons.push('no calibration pair was graded');
  else if (agreement.value < thresholds.min_agreement) {
    reasons.push(
      `agreement with the labels ${fmt(agreement.value)} (${agreed}/${graded.length}) is below ${thresholds.min_agreement}`,
    );
  }
  if (!kappa) reasons.push("Cohen's κ is undefined (labels and outcomes both constant)");
  else if (kappa.kappa < thresholds.min_kappa)
    reasons.push(`Cohen's κ ${fmt(kappa.kappa)} is below ${thresholds.min_kappa}`);
  for (const side of ['a', 'b'] as const) {
    const r = side_agreement[side];
    if (!r) reasons.push(`no pair labelled ${side}: the agreement on ${side}-better pairs is undefined`);
    else if (r.value < thresholds.min_side_agreement) {
      reasons.push(
        `agreement on pairs where ${side.toUpperCase()} is better ${fmt(r.value)} (${r.successes}/${r.n}) is below ${thresholds.min_side_agreement}`,
      );
    }
  }
  if (position_consistency && position_consistency.value < thresholds.min_position_consistency) {
    reasons.push(
      `position consistency ${fmt(position_consistency.value)} (${consistent}/${graded.length} pairs gave the same preference in both orders) is below ${thresholds.min_position_consistency}`,
    );
  }
  const spreads = criterionSpreads(criteria, (id) =>
    graded.flatMap((g) => g.pairwise.criteria.filter((x) => x.id === id).map((x) => x.outcome)),
  );
  for (const s of spreads.filter((x) => x.constant)) {
    reasons.push(
      `criterion ${s.id} (weight ${s.weight}) had the same outcome on all ${s.scored} pair(s): it measures nothing`,
    );
  }
  return {
    kind: 'pair',
    passed: reasons.length === 0,
    reasons,
    n: outcomes.length,
    graded: graded.length,
    table,
    agreement,
    kappa,
    side_agreement,
    position_consistency,
    b_preferred,
    decided_by_arbiter: graded.filter((g) => g.pairwise.decided_by === 'arbiter').length,
    criteria: spreads,
    no_verdict: noVerdict,
    thresholds,
  };
}
