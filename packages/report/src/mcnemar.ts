import { chiSquare1Survival } from './normal.ts';

/** McNemar's test on the discordant pairs of two runs. */
export interface McNemar {
  /** Pairs that passed in the base and fail in the candidate (regressions). */
  b: number;
  /** Pairs that failed in the base and pass in the candidate (fixes). */
  c: number;
  p_value: number;
  method: 'exact' | 'chi2_cc';
}

/** Below this many discordant pairs the exact binomial test is used. */
export const MCNEMAR_EXACT_BELOW = 25;

/**
 * McNemar's test. With b + c < 25 the exact two-sided binomial p-value,
 * p = min(1, 2 · Σ_{k ≤ min(b,c)} C(b+c, k) / 2^(b+c)); otherwise the chi-square statistic with
 * Edwards' continuity correction, (|b − c| − 1)² / (b + c), against chi-square with 1 df.
 * No discordant pair gives p = 1. The test treats pairs as independent: when tasks hold several
 * samples the decision rests on the wider of the score and the clustered CI, not on this p-value.
 */
export function mcnemar(b: number, c: number): McNemar {
  const n = b + c;
  if (n === 0) return { b, c, p_value: 1, method: 'exact' };
  if (n < MCNEMAR_EXACT_BELOW) {
    const low = Math.min(b, c);
    // Below 25 every C(n, k) and 2^n is an exact integer in a double: the sum is exact.
    let choose = 1;
    let tail = 1;
    for (let k = 1; k <= low; k++) {
      choose = (choose * (n - k + 1)) / k;
      tail += choose;
    }
    return { b, c, p_value: Math.min(1, (2 * tail) / 2 ** n), method: 'exact' };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, p_value: chiSquare1Survival(statistic), method: 'chi2_cc' };
}
