import { describe, expect, it } from 'vitest';
import { newcombePaired, squareAndAdd } from './newcombe-paired.ts';
import { wilsonInterval } from './wilson-interval.ts';

describe("Newcombe's square-and-add step", () => {
  it('reproduces the worked paired example of PSIAIMS CAMIS (SAS/ci_for_paired_prop.qmd), where φ = 0', () => {
    // Active/placebo crossover: r = 20 (both respond), s = 15 (active only), t = 6 (placebo only), u = 5; N = 46.
    // p̂₁ = 35/46 = .761, p̂₂ = 26/46 = .565. Published Wilson limits: l₁ = .621, u₁ = .861, l₂ = .422,
    // u₂ = .698; ru − st = 10 lies between 0 and N/2, so the page sets φ = 0; published CI .002602 to .369943.
    const p1 = 35 / 46;
    const p2 = 26 / 46;
    const w1 = wilsonInterval(35, 46);
    const w2 = wilsonInterval(26, 46);
    expect(w1.map((x) => Number(x.toFixed(3)))).toEqual([0.621, 0.861]);
    expect(w2.map((x) => Number(x.toFixed(3)))).toEqual([0.422, 0.698]);
    const [low, high] = squareAndAdd(p1, w1, p2, w2, 0);
    expect(low).toBeCloseTo(0.002602, 6);
    expect(high).toBeCloseTo(0.369943, 6);
  });

  it('narrows with a positive correlation and widens with a negative one (hand-computed)', () => {
    // p₁ = .5 with [.3, .7], p₂ = .5 with [.3, .7]: every distance is .2.
    // φ = 0: δ = √(.04 + .04) = .282843. φ = .5: √(.04 − 2·.5·.04 + .04) = √.04 = .2. φ = −.5: √.12 = .346410.
    expect(squareAndAdd(0.5, [0.3, 0.7], 0.5, [0.3, 0.7], 0)[0]).toBeCloseTo(-0.282843, 6);
    expect(squareAndAdd(0.5, [0.3, 0.7], 0.5, [0.3, 0.7], 0.5)[0]).toBeCloseTo(-0.2, 12);
    expect(squareAndAdd(0.5, [0.3, 0.7], 0.5, [0.3, 0.7], -0.5)[1]).toBeCloseTo(0.34641, 5);
  });
});

describe("Newcombe's hybrid score interval for a paired difference (method 10)", () => {
  it('gives a table with discordant pairs both ways as computed by hand', () => {
    // a = 6, b = 1, c = 2, d = 1 (n = 10): p₁ = (a+b)/n = .7, p₂ = (a+c)/n = .8, θ̂ = −.1.
    // Wilson 7/10 = [.396778, .892209], Wilson 8/10: 2x + z² = 19.841459, √(3.841459 + 32·.2) = 3.200228,
    // × z = 6.272331 → [13.569128/27.682918, 26.113790/27.682918] = [.490162, .943318].
    // φ̂ = (ad − bc)/√((a+b)(c+d)(a+c)(b+d)) = (6 − 2)/√(7·3·8·2) = 4/√336 = 4/18.330303 = .218218.
    // δ: p₁ − l₁ = .303222, u₂ − p₂ = .143318; δ² = .303222² − 2·.218218·.303222·.143318 + .143318²
    //    = .091944 − .018966 + .020540 = .093517, δ = .305806 → lower = −.1 − .305806 = −.405806.
    // ε: u₁ − p₁ = .192209, p₂ − l₂ = .309838; ε² = .036944 − .025991 + .095999 = .106952, ε = .327036
    //    → upper = −.1 + .327036 = .227036.
    const r = newcombePaired({ a: 6, b: 1, c: 2, d: 1 });
    expect(r.estimate).toBeCloseTo(-0.1, 12);
    expect(r.phi).toBeCloseTo(4 / Math.sqrt(336), 12);
    expect(r.ci95[0]).toBeCloseTo(
      -0.1 - Math.sqrt(0.303222 ** 2 - 2 * 0.218218 * 0.303222 * 0.143318 + 0.143318 ** 2),
      5,
    );
    expect(r.ci95[0]).toBeCloseTo(-0.405806, 5);
    expect(r.ci95[1]).toBeCloseTo(0.227036, 5);
  });

  it('keeps a width when no pair is discordant', () => {
    // 24 pairs, all positive both times: a = 24. Both proportions are 24/24 with Wilson [24/27.841459, 1]
    // = [.862024, 1]. (c+d) = 0 makes the product 0, so φ̂ = 0. δ = √((1 − .862024)² + (1 − 1)²) = .137976,
    // ε the same: [−.137976, .137976], where the Wald interval of the differences is [0, 0].
    const r = newcombePaired({ a: 24, b: 0, c: 0, d: 0 });
    expect(r.phi).toBe(0);
    expect(r.estimate).toBe(0);
    expect(r.ci95[0]).toBeCloseTo(-(1 - 24 / (24 + 1.959964 ** 2)), 6);
    expect(r.ci95[0]).toBeCloseTo(-0.137976, 6);
    expect(r.ci95[1]).toBeCloseTo(0.137976, 6);
  });

  it('sets φ̂ to 0 when a margin is empty (hand-computed)', () => {
    // a = 3, b = 0, c = 3, d = 0 (n = 6): p₁ = 3/6, p₂ = 6/6; (b+d) = 0, so φ̂ = 0 although ad − bc = 0 too.
    // Wilson 3/6: 2x + z² = 9.841459, √(3.841459 + 12·.5) = 3.137110, × z = 6.148623, 2(n + z²) = 19.682918
    // → [.187616, .812384]; Wilson 6/6 = [6/9.841459, 1] = [.609666, 1].
    // lower = −.5 − √(.312384² + 0²) = −.812384; upper = −.5 + √(.312384² + .390334²) = −.5 + .499944 = −.000056.
    const r = newcombePaired({ a: 3, b: 0, c: 3, d: 0 });
    expect(r.phi).toBe(0);
    expect(r.ci95[0]).toBeCloseTo(-0.812384, 6);
    expect(r.ci95[1]).toBeCloseTo(-0.5 + Math.sqrt(0.312384 ** 2 + 0.390334 ** 2), 5);
  });

  it('refuses an empty table and cells that are not counts', () => {
    expect(() => newcombePaired({ a: 0, b: 0, c: 0, d: 0 })).toThrow(/the table is empty/);
    expect(() => newcombePaired({ a: 1, b: -1, c: 0, d: 0 })).toThrow(/b must be a count, got -1/);
  });
});
