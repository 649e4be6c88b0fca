import { describe, expect, it } from 'vitest';
import { cosine, maxCosine } from './cosine.ts';

describe('cosine similarity', () => {
  it('matches values computed by hand', () => {
    // (1,2,3)·(4,5,6) = 32; |a| = √14, |b| = √77 → 32/√1078 = 0.974632.
    expect(cosine([1, 2, 3], [4, 5, 6])).toBeCloseTo(32 / Math.sqrt(1078), 12);
    expect(cosine([1, 2, 3], [4, 5, 6])).toBeCloseTo(0.974632, 6);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 1], [-2, -2])).toBeCloseTo(-1, 12);
    expect(cosine([3, 4], [6, 8])).toBeCloseTo(1, 12); // scale does not matter
    expect(cosine([0, 0], [1, 1])).toBe(0);
  });

  it('takes the nearest reference, and refuses vectors of different lengths', () => {
    expect(
      maxCosine(
        [1, 0],
        [
          [0, 1],
          [1, 1],
          [-1, 0],
        ],
      ),
    ).toBeCloseTo(1 / Math.SQRT2, 12);
    expect(() => cosine([1], [1, 2])).toThrow(/1 and 2 dimensions/);
    expect(() => maxCosine([1], [])).toThrow(/no vectors/);
  });
});
