import type { GraderAnswer } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { summariseConsistency } from './consistency.ts';

const a = (pass: boolean, score: number): GraderAnswer => ({ pass, score, criteria: [], rationale: 'r' });

describe('self-consistency summary', () => {
  it('records majority, agreement, mean and population variance', () => {
    const c = summariseConsistency(
      [a(false, 0.4), a(true, 0.8), a(true, 0.9), a(true, 0.7), a(false, 0.2)],
      [7, 8, 9, 10, 11],
      [0, 0.7, 0.7, 0.7, 0.7],
    );
    expect(c.k).toBe(4);
    expect(c.samples).toBe(5);
    expect(c.majority).toBe(true);
    expect(c.agreement).toBeCloseTo(3 / 5, 12);
    expect(c.score_mean).toBeCloseTo(0.6, 12);
    // ((−0.2)² + 0.2² + 0.3² + 0.1² + (−0.4)²) / 5 = 0.068
    expect(c.score_variance).toBeCloseTo(0.068, 12);
    expect(c.seeds).toEqual([7, 8, 9, 10, 11]);
  });

  it('breaks a tie with the primary answer and reports a single answer as fully agreed', () => {
    expect(summariseConsistency([a(false, 0.1), a(true, 0.9)], [0, 1], [0, 0.7]).majority).toBe(false);
    const one = summariseConsistency([a(true, 0.9)], [0], [0]);
    expect(one).toMatchObject({ k: 0, samples: 1, majority: true, agreement: 1, score_variance: 0 });
  });
});
