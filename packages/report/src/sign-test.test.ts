import { describe, expect, it } from 'vitest';
import { signTest } from './sign-test.ts';

/** Σ_{k ≤ m} C(n, k) with exact integers. */
function lowerTail(n: number, m: number): bigint {
  let choose = 1n;
  let sum = 1n;
  for (let k = 1; k <= m; k++) {
    choose = (choose * BigInt(n - k + 1)) / BigInt(k);
    sum += choose;
  }
  return sum;
}

describe('the exact sign test', () => {
  it('matches the binomial tail computed by hand', () => {
    // 9 wins, 1 loss: 2 · (C(10,0) + C(10,1)) / 2^10 = 2 · 11 / 1024.
    expect(signTest(9, 1).p_value).toBeCloseTo(22 / 1024, 15);
    // 7 against 3: 2 · (1 + 10 + 45 + 120) / 1024.
    expect(signTest(3, 7).p_value).toBeCloseTo(352 / 1024, 15);
    // 5 against 5 and nothing decided: p = 1.
    expect(signTest(5, 5).p_value).toBe(1);
    expect(signTest(0, 0).p_value).toBe(1);
    // 6 against 0: 2 / 64.
    expect(signTest(6, 0).p_value).toBeCloseTo(2 / 64, 15);
  });

  it('stays exact where C(n, k) overflows a double', () => {
    // 1100 against 900 (n = 2000): the exact tail with big integers, then divided.
    const tail = lowerTail(2000, 900);
    const exact = Number((2n * tail * 10n ** 30n) / 2n ** 2000n) / 1e30;
    const p = signTest(1100, 900).p_value;
    expect(p).toBeGreaterThan(0);
    expect(Math.abs(p - exact) / exact).toBeLessThan(1e-9);
  });
});
