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
  /** κ ± z·SE, clipped to [−1, 1]. */
  ci95: [number, number];
  observed: number;
  expected: number;
}

/**
 * Cohen's κ between the labels and the verdicts (Cohen 1960, "A coefficient of agreement for nominal
 * scales"): κ = (p_o − p_e)/(1 − p_e), with p_o the share of agreements and p_e the agreement
 * expected from the two marginals. Null when p_e = 1 (both raters constant: κ is undefined).
 */
export function cohenKappa(c: Confusion, z: number = Z_975): Kappa | null {
  const n = c.tp + c.fn + c.fp + c.tn;
  if (n === 0) return null;
  const observed = (c.tp + c.tn) / n;
  const good = c.tp + c.fn;
  const bad = c.fp + c.tn;
  const passed = c.tp + c.fp;
  const failed = c.fn + c.tn;
  const expected = (good * passed + bad * failed) / (n * n);
  if (expected >= 1) return null;
  const kappa = (observed - expected) / (1 - expected);
  const se = Math.sqrt((observed * (1 - observed)) / (n * (1 - expected) ** 2));
  return {
    kappa,
    se,
    ci95: [Math.max(-1, kappa - z * se), Math.min(1, kappa + z * se)],
    observed,
    expected,
  };
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
