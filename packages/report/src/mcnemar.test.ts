import { describe, expect, it } from 'vitest';
import { mcnemar } from './mcnemar.ts';

/** 2·(1 − Φ(z)) by Simpson's rule on the normal density over [z, z + 14]: independent of erfc. */
function twoSidedNormalTail(z: number): number {
  const steps = 20_000;
  const h = 14 / steps;
  const phi = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  let sum = phi(z) + phi(z + 14);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * phi(z + i * h);
  return 2 * ((sum * h) / 3);
}

describe('McNemar on the discordant pairs', () => {
  it('uses the exact binomial p below 25 discordant pairs', () => {
    // b = 1, c = 9: p = 2·(C(10,0) + C(10,1))/2^10 = 2·(1 + 10)/1024 = 22/1024.
    expect(mcnemar(1, 9)).toEqual({ b: 1, c: 9, p_value: 22 / 1024, method: 'exact' });
    // b = 7, c = 3: p = 2·(1 + 10 + 45 + 120)/1024 = 352/1024 (symmetric in b and c).
    expect(mcnemar(7, 3).p_value).toBe(352 / 1024);
    // b = 0, c = 6: p = 2·1/64.
    expect(mcnemar(0, 6).p_value).toBe(2 / 64);
    // b = 12, c = 12 (24 pairs): the two tails overlap, p is capped at 1.
    expect(mcnemar(12, 12).p_value).toBe(1);
    // b = 4, c = 20 (24 pairs): 2·(1 + 24 + 276 + 2024 + 10626)/2^24 = 2·12951/2^24 = 25902/16777216.
    expect(mcnemar(4, 20)).toEqual({ b: 4, c: 20, p_value: 25902 / 16777216, method: 'exact' });
    expect(mcnemar(0, 0)).toEqual({ b: 0, c: 0, p_value: 1, method: 'exact' });
  });

  it('uses chi-square with continuity correction from 25 discordant pairs (Agresti 2007, table 8.1)', () => {
    // Agresti, An Introduction to Categorical Data Analysis (2nd ed.), presidential approval:
    // 150 approve → disapprove, 86 disapprove → approve. With Edwards' correction the statistic is
    // (|150 − 86| − 1)² / 236 = 63² / 236 = 3969 / 236 = 16.8178…; with 1 df, p = 2·(1 − Φ(√16.8178)).
    const result = mcnemar(150, 86);
    expect(result.method).toBe('chi2_cc');
    const expected = twoSidedNormalTail(Math.sqrt(3969 / 236));
    expect(expected).toBeCloseTo(4.115e-5, 7);
    expect(result.p_value / expected).toBeCloseTo(1, 8);
    // 25 pairs, b = 5, c = 20: (15 − 1)² / 25 = 7.84, p = 2·(1 − Φ(2.8)) = 0.00511 (normal table: 1 − Φ(2.80) = 0.00256).
    const edge = mcnemar(5, 20);
    expect(edge.method).toBe('chi2_cc');
    expect(edge.p_value).toBeCloseTo(twoSidedNormalTail(2.8), 10);
    expect(edge.p_value).toBeCloseTo(2 * 0.002555, 5);
  });
});
