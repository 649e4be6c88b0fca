import { describe, expect, it } from 'vitest';
import { pearson } from './correlation.ts';

describe('Pearson correlation of per-pair scores', () => {
  it('matches a hand computation', () => {
    // x = 1, 2, 3 (mean 2), y = 2, 4, 7 (mean 13/3): dx = −1, 0, 1; dy = −7/3, −1/3, 8/3.
    // Σdxdy = 7/3 + 8/3 = 5; Σdx² = 2; Σdy² = (49 + 1 + 64)/9 = 114/9; r = 5/√(2·114/9) = 0.993399.
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt((2 * 114) / 9), 12);
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(0.993399, 6);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('is undefined for a constant series or fewer than two pairs', () => {
    expect(pearson([1, 1, 1], [0, 1, 0])).toBeNull();
    expect(pearson([1], [1])).toBeNull();
  });
});
