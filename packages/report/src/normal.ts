/** The two-sided 95% normal quantile, z = Φ⁻¹(0.975): every CI in this package is estimate ± 1.96·SE. */
export const Z_975 = 1.959963984540054;

/** Φ⁻¹(0.80): the power quantile of the minimum detectable effect at 80% power. */
export const Z_80 = 0.8416212335729143;

/**
 * The complementary error function erfc(x), to about 1e-15 relative: the Maclaurin series of erf
 * for |x| < 2, the Laplace continued fraction of erfc beyond (evaluated with the modified Lentz
 * method). It gives the chi-square (1 df) survival function, P(X > q) = erfc(√(q/2)).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** P(X > q) for X ~ chi-square with 1 degree of freedom. */
export function chiSquare1Survival(q: number): number {
  if (q <= 0) return 1;
  return erfc(Math.sqrt(q / 2));
}

/**
 * A 95% interval `[estimate − 1.96·se, estimate + 1.96·se]`, clipped to `range` (a rate's interval
 * never leaves [0, 1], a difference of rates never leaves [−1, 1]); null when either is unknown.
 */
export function ci95(
  estimate: number | null,
  se: number | null,
  range: readonly [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
): [number, number] | null {
  if (estimate === null || se === null) return null;
  return [Math.max(range[0], estimate - Z_975 * se), Math.min(range[1], estimate + Z_975 * se)];
}
