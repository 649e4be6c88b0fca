/** The exact two-sided sign test of wins against losses (ties dropped). */
export interface SignTest {
  wins: number;
  losses: number;
  p_value: number;
}

/**
 * The sign test: under "neither side is better" each decided pair is a fair coin, so
 * p = min(1, 2 · Σ_{k ≤ min(w, l)} C(n, k) / 2^n) with n = w + l — exact at any n (computed in log
 * space, so C(n, k) never overflows). No decided pair gives p = 1.
 */
export function signTest(wins: number, losses: number): SignTest {
  const n = wins + losses;
  if (n === 0) return { wins, losses, p_value: 1 };
  const low = Math.min(wins, losses);
  const log2n = n * Math.LN2;
  let logChoose = 0;
  let tail = Math.exp(-log2n);
  for (let k = 1; k <= low; k++) {
    logChoose += Math.log(n - k + 1) - Math.log(k);
    tail += Math.exp(logChoose - log2n);
  }
  return { wins, losses, p_value: Math.min(1, 2 * tail) };
}
