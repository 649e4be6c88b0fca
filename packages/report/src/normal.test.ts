import { describe, expect, it } from 'vitest';
import { chiSquare1Survival, ci95, erfc } from './normal.ts';

describe('erfc and the chi-square (1 df) tail', () => {
  it('matches the tabulated complementary error function (Abramowitz & Stegun table 7.1)', () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 14);
    expect(erfc(1)).toBeCloseTo(0.1572992070502851, 14);
    expect(erfc(1.5)).toBeCloseTo(0.033894853524689274, 14);
    expect(erfc(2)).toBeCloseTo(0.004677734981047266, 15);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 12);
    expect(erfc(5) / 1.5374597944280349e-12).toBeCloseTo(1, 10);
    expect(erfc(-1)).toBeCloseTo(2 - 0.1572992070502851, 14);
  });

  it('gives α at the tabulated chi-square critical values with 1 df', () => {
    // Critical values of chi-square(1): 3.841459 (α = .05), 6.634897 (.01), 10.827566 (.001).
    expect(chiSquare1Survival(3.841458820694124)).toBeCloseTo(0.05, 10);
    expect(chiSquare1Survival(6.634896601021214)).toBeCloseTo(0.01, 10);
    expect(chiSquare1Survival(10.827566170662733)).toBeCloseTo(0.001, 11);
    expect(chiSquare1Survival(0)).toBe(1);
  });

  it('builds a 95% interval as estimate ± 1.96·se', () => {
    const [low, high] = ci95(0.5, 0.1) as [number, number];
    expect(low).toBeCloseTo(0.5 - 0.196, 3);
    expect(high).toBeCloseTo(0.5 + 0.196, 3);
    // A rate of .95 with SE .05: .95 + .098 = 1.048 is clipped to 1; the lower end .852 stays.
    const [rateLow, rateHigh] = ci95(0.95, 0.05, [0, 1]) as [number, number];
    expect(rateLow).toBeCloseTo(0.95 - 0.098, 3);
    expect(rateHigh).toBe(1);
    expect(ci95(null, 0.1)).toBeNull();
    expect(ci95(0.5, null)).toBeNull();
  });
});
