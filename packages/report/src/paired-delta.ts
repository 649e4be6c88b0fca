import { clusteredMean } from './clustered-mean.ts';
import { ci95 } from './normal.ts';

/** Two runs' means over the same pairs, and their paired difference. */
export interface PairedDelta {
  n: number;
  base_mean: number | null;
  candidate_mean: number | null;
  /** candidate − base */
  delta: number | null;
  /** SE of the mean per-pair difference, clustered by task (sd of the differences / √n when each task has one pair). */
  delta_se: number | null;
  delta_ci95: [number, number] | null;
}

/**
 * The paired difference of two series measured on the same pairs: the mean of the per-pair
 * differences, its standard error clustered by `clusters` (see {@link clusteredMean}) and its 95% CI.
 * Every series compared here (verdicts, scores, criterion scores, fact rates, agreement) lies in
 * [0, 1], so the interval is clipped to [−1, 1].
 */
export function pairedDelta(
  base: readonly number[],
  candidate: readonly number[],
  clusters: readonly string[],
): PairedDelta {
  if (base.length !== candidate.length) throw new Error('pairedDelta: series of different lengths');
  const n = base.length;
  const mean = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
  const diff = clusteredMean(
    base.map((b, i) => (candidate[i] as number) - b),
    clusters,
  );
  return {
    n,
    base_mean: mean(base),
    candidate_mean: mean(candidate),
    delta: diff.mean,
    delta_se: diff.se,
    delta_ci95: ci95(diff.mean, diff.se, [-1, 1]),
  };
}
