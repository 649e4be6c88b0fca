import { Z_975 } from './normal.ts';

/**
 * The Wilson score interval for a binomial proportion `successes / n` (Wilson 1927; method 3 of
 * Newcombe 1998, "Two-sided confidence intervals for the single proportion", Statistics in Medicine
 * 17:857–872): the roots in p of |x/n − p| = z·√(p(1 − p)/n),
 *
 *   ( 2x + z² ∓ z·√(z² + 4x(1 − x/n)) ) / ( 2(n + z²) ).
 *
 * Unlike the Wald interval it never leaves [0, 1] and keeps a width at x = 0 and x = n (for x = n the
 * lower limit is n/(n + z²)). `z` defaults to Φ⁻¹(0.975), a 95% interval.
 */
export function wilsonInterval(successes: number, n: number, z: number = Z_975): [number, number] {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`wilsonInterval: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new Error(`wilsonInterval: successes must be an integer from 0 to n = ${n}, got ${successes}`);
  }
  const z2 = z * z;
  const centre = 2 * successes + z2;
  const half = z * Math.sqrt(z2 + 4 * successes * (1 - successes / n));
  const denominator = 2 * (n + z2);
  return [Math.max(0, (centre - half) / denominator), Math.min(1, (centre + half) / denominator)];
}
