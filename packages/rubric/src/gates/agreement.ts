import { wilsonInterval, Z_975 } from '@gavel/report';

/** Labels against verdicts: `good` is the positive class, a passing verdict the positive call. */
export interface Confusion {
  /** good, passed */
  tp: number;
  /** good, failed */
  fn: number;
  /** bad, passed */
  fp: number;
  /** bad, failed */
  tn: number;
}

export function confusion(pairs: readonly { label: 'good' | 'bad'; pass: boolean }[]): Confusion {
  const c: Confusion = { tp: 0, fn: 0, fp: 0, tn: 0 };
  for (const { label, pass } of pairs) {
    if (label === 'good') pass ? c.tp++ : c.fn++;
    else pass ? c.fp++ : c.tn++;
  }
  return c;
}

export interface Kappa {
  kappa: number;
  /** Cohen's (1960) large-sample standard error √(p_o(1 − p_o) / (n(1 − p_e)²)). */
  se: number;
  /**
   * The 95% interval the gates report: the Wilson score interval of the observed agreement p_o
   * (x = agreements of n), mapped through κ = (p_o − p_e)/(1 − p_e) with p_e held at its observed
   * value, as Cohen's standard error also holds it. Cohen's interval is the Wald interval of p_o
   * mapped the same way (its half-width z·√(p_o(1 − p_o)/n)/(1 − p_e) is the same z·SE); the score
   * interval keeps a width where the Wald one collapses: at perfect agreement (p_o = 1, SE = 0) the
   * lower limit is (n/(n + z²) − p_e)/(1 − p_e), not 1. Clipped to [−1, 1].
   */
  ci95: [number, number];
  /** Cohen's (1960) Wald interval κ ± z·SE, clipped to [−1, 1]; a point when SE = 0. */
  ci95_wald: [number, number];
  observed: number;
  expected: number;
  /** Rated items (the table's total). */
  n: number;
}

/**
 * Cohen's κ over a square agreement table, `table[i][j]` = items rater 1 put in category i and
 * rater 2 in category j (Cohen 1960, "A coefficient of agreement for nominal scales"):
 * κ = (p_o − p_e)/(1 − p_e), p_o the diagonal's share, p_e = Σᵢ (row i · column i)/n² the agreement
 * the two marginals give by chance. Null when n = 0 or p_e = 1 (both raters put everything in one
 * category: κ is undefined). The interval is described at {@link Kappa.ci95}.
 */
export function cohenKappaTable(table: readonly (readonly number[])[], z: number = Z_975): Kappa | null {
  const k = table.length;
  if (table.some((row) => row.length !== k)) throw new Error('cohenKappaTable: the table must be square');
  const n = table.reduce((s, row) => s + row.reduce((t, x) => t + x, 0), 0);
  if (n === 0) return null;
  let agree = 0;
  let chance = 0;
  for (let i = 0; i < k; i += 1) {
    agree += table[i]?.[i] ?? 0;
    const row = table[i]?.reduce((t, x) => t + x, 0) ?? 0;
    const column = table.reduce((t, r) => t + (r[i] ?? 0), 0);
    chance += row * column;
  }
  const observed = agree / n;
  const expected = chance / (n * n);
  if (expected >= 1) return null;
  const toKappa = (p: number) => Math.max(-1, Math.min(1, (p - expected) / (1 - expected)));
  const kappa = (observed - expected) / (1 - expected);
  const se = Math.sqrt((observed * (1 - observed)) / (n * (1 - expected) ** 2));
  const [lo, hi] = wilsonInterval(agree, n, z);
  return {
    kappa,
    se,
    ci95: [toKappa(lo), toKappa(hi)],
    ci95_wald: [Math.max(-1, kappa - z * se), Math.min(1, kappa + z * se)],
    observed,
    expected,
    n,
  };
}

/** Cohen's κ between the labels and the verdicts of a 2×2 confusion matrix (see {@link cohenKappaTable}). */
export function cohenKappa(c: Confusion, z: number = Z_975): Kappa | null {
  return cohenKappaTable(
    [
      [c.tp, c.fn],
      [c.fp, c.tn],
    ],
    z,
  );
}

export interface Rate {
  value: number;
  successes: number;
  n: number;
  /** Wilson score interval (95%). */
  ci95: [number, number];
}

/** `successes / n` with its Wilson interval; null when n = 0. */
export function rate(successes: number, n: number): Rate | null {
  if (n === 0) return null;
  return { value: successes / n, successes, n, ci95: wilsonInterval(successes, n) };
}

/** True positive rate (sensitivity): good samples that passed. */
export function truePositiveRate(c: Confusion): Rate | null {
  return rate(c.tp, c.tp + c.fn);
}

/** True negative rate (specificity): bad samples that failed. */
export function trueNegativeRate(c: Confusion): Rate | null {
  return rate(c.tn, c.tn + c.fp);
}
