import { describe, expect, it } from 'vitest';
import { wilsonInterval } from './wilson-interval.ts';

describe('the Wilson score interval', () => {
  it("matches Newcombe's published examples (Statistics in Medicine 17:857, 1998, Table II, method 3)", () => {
    const at4 = (ci: [number, number]) => ci.map((x) => Math.round(x * 10_000) / 10_000);
    expect(at4(wilsonInterval(81, 263))).toEqual([0.2553, 0.3662]);
    expect(at4(wilsonInterval(15, 148))).toEqual([0.0624, 0.1605]);
    expect(at4(wilsonInterval(0, 20))).toEqual([0, 0.1611]);
    expect(at4(wilsonInterval(1, 29))).toEqual([0.0061, 0.1718]);
  });

  it('gives 7/10 as computed by hand', () => {
    // z = 1.959964, z² = 3.841459. 2x + z² = 17.841459; z² + 4x(1 − x/n) = 3.841459 + 28·.3 = 12.241459,
    // √ = 3.498780, × z = 6.857482; 2(n + z²) = 27.682918.
    // Limits: (17.841459 − 6.857482)/27.682918 = .396778 and (17.841459 + 6.857482)/27.682918 = .892209.
    const [low, high] = wilsonInterval(7, 10);
    expect(low).toBeCloseTo(10.983977 / 27.682918, 6);
    expect(high).toBeCloseTo(24.698941 / 27.682918, 6);
    expect(low).toBeCloseTo(0.396778, 6);
    expect(high).toBeCloseTo(0.892209, 6);
  });

  it('keeps a width when every trial succeeds: the lower limit is n/(n + z²)', () => {
    // x = n: √(z² + 0) = z, so the limits are (2n + z² ∓ z²)/(2(n + z²)) = n/(n + z²) and 1.
    // n = 24: 24/27.841459 = .862024.
    const [low, high] = wilsonInterval(24, 24);
    expect(low).toBeCloseTo(24 / (24 + 1.959964 ** 2), 6);
    expect(low).toBeCloseTo(0.862024, 6);
    expect(high).toBe(1);
    const [zeroLow, zeroHigh] = wilsonInterval(0, 24);
    expect(zeroLow).toBe(0);
    expect(zeroHigh).toBeCloseTo(1 - 0.862024, 6);
  });

  it('refuses counts that are not a proportion', () => {
    expect(() => wilsonInterval(3, 0)).toThrow(/n must be a positive integer, got 0/);
    expect(() => wilsonInterval(5, 4)).toThrow(/successes must be an integer from 0 to n = 4, got 5/);
    expect(() => wilsonInterval(1.5, 4)).toThrow(/got 1\.5/);
  });
});
