import { describe, expect, it } from 'vitest';
import { bootstrapGroups, percentileInterval, quantile } from './bootstrap.ts';

const mean = (xs: number[]) => (xs.length === 0 ? undefined : xs.reduce((s, x) => s + x, 0) / xs.length);

describe('the seeded cluster bootstrap', () => {
  it('reads quantiles as the inverse empirical CDF', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2);
    expect(quantile([3, 1, 2, 4], 0.75)).toBe(3);
    expect(quantile([3, 1, 2, 4], 0.01)).toBe(1);
    expect(quantile([3, 1, 2, 4], 1)).toBe(4);
  });

  it('gives the percentile interval of the exact bootstrap distribution worked out by hand', () => {
    // Four tasks scoring 1, 1, 1, 0. The number of zeros drawn is Binomial(4, 1/4): P(4) = 1/256 ≈ 0.4%,
    // P(≥3) = 13/256 ≈ 5.1%, so the 2.5% quantile of the mean is 0.25; P(0 zeros) = 81/256 ≈ 32% > 2.5%,
    // so the 97.5% quantile is 1.
    const draws = bootstrapGroups([[1], [1], [1], [0]], mean, { seed: 7, replicates: 4000 });
    expect(percentileInterval(draws)).toEqual([0.25, 1]);
    // The share of replicates with mean 1 is near 81/256.
    expect(draws.filter((d) => d === 1).length / draws.length).toBeCloseTo(81 / 256, 1);
  });

  it('is reproducible by seed and resamples whole groups', () => {
    const groups = [[1, 1], [0], [1, 0, 0], [1]];
    const one = bootstrapGroups(groups, mean, { seed: 3, replicates: 200 });
    expect(bootstrapGroups(groups, mean, { seed: 3, replicates: 200 })).toEqual(one);
    expect(bootstrapGroups(groups, mean, { seed: 4, replicates: 200 })).not.toEqual(one);
    // Items of a group travel together: every replicate holds a multiple of whole groups.
    const sizes = bootstrapGroups(groups, (xs) => xs.length, { seed: 3, replicates: 200 });
    expect(sizes.every((n) => n >= 4 && n <= 12)).toBe(true);
    expect(bootstrapGroups([], mean)).toEqual([]);
  });
});
