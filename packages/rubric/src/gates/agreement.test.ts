import { describe, expect, it } from 'vitest';
import { cohenKappa, cohenKappaTable, confusion, trueNegativeRate, truePositiveRate } from './agreement.ts';

describe("Cohen's κ and the rates, against hand-computed values", () => {
  it("Wikipedia's first worked example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → κ = 0.4", () => {
    // Labels (rater A) × verdicts (rater B): good/pass 20, good/fail 5, bad/pass 10, bad/fail 15; n = 50.
    // p_o = (20 + 15)/50 = 0.7; p_e = (25·30 + 25·20)/50² = 0.5; κ = (0.7 − 0.5)/(1 − 0.5) = 0.4.
    // SE = √(0.7·0.3 / (50·0.5²)) = √0.0168 = 0.129615; 95% CI 0.4 ∓ 1.959964·0.129615 = [0.145960, 0.654040].
    const k = cohenKappa({ tp: 20, fn: 5, fp: 10, tn: 15 });
    expect(k?.observed).toBeCloseTo(0.7, 12);
    expect(k?.expected).toBeCloseTo(0.5, 12);
    expect(k?.kappa).toBeCloseTo(0.4, 12);
    expect(k?.se).toBeCloseTo(0.129615, 6);
    expect(k?.ci95_wald[0]).toBeCloseTo(0.14596, 5);
    expect(k?.ci95_wald[1]).toBeCloseTo(0.65404, 5);
    // The reported interval: Wilson for 35 agreements of 50, z² = 3.841459:
    // (70 + z² ∓ z·√(z² + 4·35·0.3)) / (2·(50 + z²)) = (73.841459 ∓ 13.270206)/107.682918 = [0.562496, 0.808964];
    // mapped through κ = (p − 0.5)/0.5: [0.124993, 0.617929].
    expect(k?.ci95[0]).toBeCloseTo(0.124993, 5);
    expect(k?.ci95[1]).toBeCloseTo(0.617929, 5);
  });

  it('keeps an honest lower bound at perfect agreement (the Wald interval is the point [1, 1] there)', () => {
    // 16 good/pass and 16 bad/fail: p_o = 1, p_e = (16·16 + 16·16)/32² = 0.5, SE = 0.
    const k = cohenKappa({ tp: 16, fn: 0, fp: 0, tn: 16 });
    expect(k?.kappa).toBe(1);
    expect(k?.se).toBe(0);
    expect(k?.ci95_wald).toEqual([1, 1]);
    // Wilson for 32 of 32: the lower limit is n/(n + z²) = 32/35.841459 = 0.892821, the upper 1;
    // κ's lower limit (0.892821 − 0.5)/0.5 = 0.785642.
    expect(k?.ci95[0]).toBeCloseTo(0.785642, 5);
    expect(k?.ci95[1]).toBe(1);
  });

  it('a 3×3 table, counted by hand', () => {
    // Rows rater 1, columns rater 2; n = 100. Diagonal 44 + 20 + 6 = 70 → p_o = 0.7.
    // Row sums 50, 30, 20; column sums 60, 30, 10 → p_e = (50·60 + 30·30 + 20·10)/100² = 0.41.
    // κ = (0.7 − 0.41)/(1 − 0.41) = 0.29/0.59 = 0.491525.
    const k = cohenKappaTable([
      [44, 5, 1],
      [7, 20, 3],
      [9, 5, 6],
    ]);
    expect(k?.observed).toBeCloseTo(0.7, 12);
    expect(k?.expected).toBeCloseTo(0.41, 12);
    expect(k?.kappa).toBeCloseTo(0.491525, 6);
    expect(() => cohenKappaTable([[1, 2]])).toThrow(/square/);
  });

  it("Wikipedia's second example: 45, 15, 25, 15 → κ = 0.06/0.46 = 0.1304", () => {
    // p_o = 60/100 = 0.6; p_e = (60·70 + 40·30)/100² = 0.54; κ = 0.06/0.46.
    expect(cohenKappa({ tp: 45, fn: 15, fp: 25, tn: 15 })?.kappa).toBeCloseTo(0.06 / 0.46, 12);
  });

  it('is undefined when both raters are constant, and −1 … 1 at the extremes', () => {
    expect(cohenKappa({ tp: 10, fn: 0, fp: 0, tn: 0 })).toBeNull();
    expect(cohenKappa({ tp: 0, fn: 0, fp: 0, tn: 0 })).toBeNull();
    expect(cohenKappa({ tp: 5, fn: 0, fp: 0, tn: 5 })?.kappa).toBe(1);
    // Perfect disagreement with balanced marginals: p_o = 0, p_e = 0.5 → κ = −1.
    expect(cohenKappa({ tp: 0, fn: 5, fp: 5, tn: 0 })?.kappa).toBe(-1);
  });

  it('TPR and TNR with their Wilson intervals (hand-computed)', () => {
    // TPR 20/25: z² = 3.841459; (2·20 + z² ∓ z·√(z² + 4·20·0.2)) / (2·(25 + z²)) = [0.608690, 0.911394].
    const c = { tp: 20, fn: 5, fp: 10, tn: 15 };
    const tpr = truePositiveRate(c);
    expect(tpr?.value).toBe(0.8);
    expect(tpr?.ci95[0]).toBeCloseTo(0.60869, 5);
    expect(tpr?.ci95[1]).toBeCloseTo(0.911394, 5);
    // TNR 15/25 = 0.6: [0.407395, 0.765967].
    const tnr = trueNegativeRate(c);
    expect(tnr?.value).toBe(0.6);
    expect(tnr?.ci95[0]).toBeCloseTo(0.407395, 5);
    expect(tnr?.ci95[1]).toBeCloseTo(0.765967, 5);
    // 20/20: the lower limit is n/(n + z²) = 20/23.841459 = 0.838875.
    expect(truePositiveRate({ tp: 20, fn: 0, fp: 0, tn: 0 })?.ci95[0]).toBeCloseTo(0.838875, 5);
    expect(truePositiveRate({ tp: 0, fn: 0, fp: 3, tn: 1 })).toBeNull();
  });

  it('counts the confusion matrix label by verdict', () => {
    expect(
      confusion([
        { label: 'good', pass: true },
        { label: 'good', pass: false },
        { label: 'bad', pass: true },
        { label: 'bad', pass: false },
        { label: 'bad', pass: false },
      ]),
    ).toEqual({ tp: 1, fn: 1, fp: 1, tn: 2 });
  });
});
