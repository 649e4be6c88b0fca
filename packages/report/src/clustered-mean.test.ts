import { describe, expect, it } from 'vitest';
import { clusteredMean } from './clustered-mean.ts';

describe('the cluster-robust standard error of a mean', () => {
  it('is s/√n with the sample sd when every cluster holds one value', () => {
    // [1, 1, 0, 0]: mean .5, Σ(x − x̄)² = 4·.25 = 1, s² = 1/3, SE = √(1/3 / 4) = √(1/12) = .288675.
    const r = clusteredMean([1, 1, 0, 0], ['a', 'b', 'c', 'd']);
    expect(r.mean).toBe(0.5);
    expect(r.se).toBeCloseTo(Math.sqrt(1 / 12), 12);
    expect(r.se).toBeCloseTo(0.288675, 6);
  });

  it('grows when values within a cluster move together (2-cluster toy by hand)', () => {
    // The same values, clustered {1, 1} and {0, 0}: residual sums per cluster +1 and −1;
    // SE² = G/(G−1) · Σ_c (Σ e)² / n² = 2 · (1 + 1) / 16 = .25 → SE = .5 (vs .2887 unclustered).
    const r = clusteredMean([1, 1, 0, 0], ['a', 'a', 'b', 'b']);
    expect(r.se).toBeCloseTo(0.5, 12);
    expect(r.clusters).toBe(2);
  });

  it('matches the sandwich formula on uneven clusters (3 clusters by hand)', () => {
    // Values A: 1, 0, 1 · B: 0 · C: 1, 1. n = 6, mean = 4/6 = 2/3.
    // Residual sums: A: 1/3 − 2/3 + 1/3 = 0; B: −2/3; C: 1/3 + 1/3 = 2/3.
    // SE² = 3/2 · (0 + 4/9 + 4/9) / 36 = 3/2 · 8/9 / 36 = 1/27 → SE = .19245.
    const r = clusteredMean([1, 0, 1, 0, 1, 1], ['A', 'A', 'A', 'B', 'C', 'C']);
    expect(r.mean).toBeCloseTo(2 / 3, 12);
    expect(r.se).toBeCloseTo(Math.sqrt(1 / 27), 12);
  });

  it('has no SE with fewer than two clusters, and no mean without values', () => {
    expect(clusteredMean([1, 0], ['a', 'a']).se).toBeNull();
    expect(clusteredMean([], [])).toEqual({ n: 0, mean: null, se: null, clusters: 0 });
  });
});
