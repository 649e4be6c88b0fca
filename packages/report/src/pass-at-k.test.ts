import { describe, expect, it } from 'vitest';
import { meanPassAtK, passAtK, passCountsByTask } from './pass-at-k.ts';

describe('the unbiased pass@k estimator (Chen et al. 2021)', () => {
  it('is the fraction passing at k = 1', () => {
    // 1 − C(n − c, 1)/C(n, 1) = 1 − (n − c)/n = c/n.
    expect(passAtK(5, 1, 1)).toBeCloseTo(1 / 5, 12);
    expect(passAtK(5, 3, 1)).toBeCloseTo(3 / 5, 12);
    expect(passAtK(10, 0, 1)).toBe(0);
    expect(passAtK(10, 10, 1)).toBe(1);
  });

  it('matches binomials computed by hand', () => {
    // n = 5, c = 1, k = 2: C(4, 2) = 6, C(5, 2) = 10 → 1 − 6/10 = 0.4.
    expect(passAtK(5, 1, 2)).toBeCloseTo(0.4, 12);
    // n = 10, c = 3, k = 2: C(7, 2) = 21, C(10, 2) = 45 → 1 − 21/45 = 24/45.
    expect(passAtK(10, 3, 2)).toBeCloseTo(24 / 45, 12);
    // n = 10, c = 2, k = 5: C(8, 5) = 56, C(10, 5) = 252 → 1 − 56/252 = 7/9.
    expect(passAtK(10, 2, 5)).toBeCloseTo(7 / 9, 12);
    // n = 5, c = 1, k = 5: C(4, 5) = 0 → 1 (every draw of all five holds the passing one).
    expect(passAtK(5, 1, 5)).toBe(1);
    // n = 5, c = 0, k = 5: C(5, 5)/C(5, 5) = 1 → 0.
    expect(passAtK(5, 0, 5)).toBe(0);
  });

  it('is exactly 1 once fewer than k samples fail', () => {
    // n − c = 2 < k = 3.
    expect(passAtK(6, 4, 3)).toBe(1);
  });

  it('stays finite where the binomials overflow a double', () => {
    // C(2000, 1000) ≈ 2·10⁶⁰⁰. With c = 1: C(1999, 1000)/C(2000, 1000) = (2000 − 1000)/2000 = 1/2.
    expect(passAtK(2000, 1, 1000)).toBeCloseTo(0.5, 12);
    // c = 2: C(1998, 1000)/C(2000, 1000) = (1000·999)/(2000·1999) = 999/3998.
    expect(passAtK(2000, 2, 1000)).toBeCloseTo(1 - 999 / 3998, 12);
  });

  it('refuses counts that are not a draw', () => {
    expect(() => passAtK(0, 0, 1)).toThrow(/n must be a positive integer, got 0/);
    expect(() => passAtK(5, 6, 1)).toThrow(/c must be an integer from 0 to n = 5, got 6/);
    expect(() => passAtK(5, 1, 6)).toThrow(/k must be an integer from 1 to n = 5, got 6/);
    expect(() => passAtK(5, 1, 0)).toThrow(/k must be an integer from 1 to n = 5, got 0/);
  });

  it('averages over tasks, refusing a task with fewer than k samples', () => {
    // Task A: n = 5, c = 1 → pass@2 = 0.4; task B: n = 5, c = 0 → 0; task C: n = 5, c = 5 → 1.
    const counts = passCountsByTask([
      ...[true, false, false, false, false].map((passed) => ({ taskId: 'A', passed })),
      ...[false, false, false, false, false].map((passed) => ({ taskId: 'B', passed })),
      ...[true, true, true, true, true].map((passed) => ({ taskId: 'C', passed })),
    ]);
    expect(counts).toEqual([
      { taskId: 'A', n: 5, c: 1 },
      { taskId: 'B', n: 5, c: 0 },
      { taskId: 'C', n: 5, c: 5 },
    ]);
    expect(meanPassAtK(counts, 2)).toBeCloseTo((0.4 + 0 + 1) / 3, 12);
    expect(meanPassAtK(counts, 1)).toBeCloseTo((0.2 + 0 + 1) / 3, 12);
    expect(() => meanPassAtK([{ taskId: 'short', n: 3, c: 1 }], 5)).toThrow(
      /task short has 3 samples, fewer than k = 5/,
    );
    expect(() => meanPassAtK([], 1)).toThrow(/no tasks/);
  });
});
