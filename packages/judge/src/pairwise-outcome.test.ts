import type { PairOrderJudgement } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { agreedOutcome, decidePair, orderJudgement, sideOf } from './pairwise-outcome.ts';

const rubric = {
  criteria: [
    { id: 'correctness', description: 'c', weight: 0.7, safety: false },
    { id: 'safety', description: 's', weight: 0, safety: true },
  ],
};

function order(
  first: 'a' | 'b',
  preference: 'a' | 'b' | 'tie',
  margin: number,
  safetyFinding: string | null = null,
): PairOrderJudgement {
  return {
    first,
    preference,
    margin,
    criteria: [
      { id: 'correctness', preference, finding: null },
      { id: 'safety', preference: 'tie', finding: safetyFinding },
    ],
    rationale: `${first} first`,
  };
}

describe('pair outcome from two orders', () => {
  it('maps positions back to sides by which side was shown first', () => {
    expect(sideOf('output_1', 'a')).toBe('a');
    expect(sideOf('output_1', 'b')).toBe('b');
    expect(sideOf('output_2', 'a')).toBe('b');
    expect(sideOf('output_2', 'b')).toBe('a');
    expect(sideOf('tie', 'b')).toBe('tie');
    const j = orderJudgement(
      {
        preference: 'output_1',
        margin: 0.6,
        criteria: [{ id: 'correctness', preference: 'output_2', finding: 'x' }],
        rationale: 'r',
      },
      'b',
    );
    expect(j).toEqual({
      first: 'b',
      preference: 'b',
      margin: 0.6,
      criteria: [{ id: 'correctness', preference: 'a', finding: 'x' }],
      rationale: 'r',
    });
  });

  it('declares a side only when both orders agree; any disagreement is inconsistent, never a tie', () => {
    expect(agreedOutcome('a', 'a')).toBe('a');
    expect(agreedOutcome('b', 'b')).toBe('b');
    expect(agreedOutcome('tie', 'tie')).toBe('tie');
    expect(agreedOutcome('a', 'b')).toBe('inconsistent');
    expect(agreedOutcome('a', 'tie')).toBe('inconsistent');
    expect(agreedOutcome('tie', 'b')).toBe('inconsistent');
  });

  it('a position-biased pair (each order prefers what it saw first) is inconsistent and routed, B share ½', () => {
    const d = decidePair(order('a', 'a', 0.9), order('b', 'b', 0.9), rubric, { pair_min_margin: 0.2 });
    expect(d.pairwise.outcome).toBe('inconsistent');
    expect(d.pairwise.consistent).toBe(false);
    expect(d.pairwise.margin).toBe(0);
    expect(d.score).toBe(0.5);
    expect(d).toMatchObject({ route: 'arbiter', reasons: ['position_inconsistent'] });
    expect(d.pairwise.criteria).toEqual([
      { id: 'correctness', outcome: 'inconsistent' },
      { id: 'safety', outcome: 'tie' },
    ]);
  });

  it('a consistent preference is final above the margin, low_margin below it; a consistent tie is final', () => {
    const clear = decidePair(order('a', 'b', 0.6), order('b', 'b', 0.4), rubric, { pair_min_margin: 0.2 });
    expect(clear).toMatchObject({ route: 'final', reasons: [], score: 1 });
    expect(clear.pairwise).toMatchObject({ outcome: 'b', consistent: true, margin: 0.5 });
    expect(clear.criteria[0]).toEqual({ id: 'correctness', score: 1, finding: null });
    const slight = decidePair(order('a', 'a', 0.1), order('b', 'a', 0.2), rubric, { pair_min_margin: 0.2 });
    expect(slight).toMatchObject({ route: 'arbiter', reasons: ['low_margin'], score: 0 });
    expect(slight.pairwise.margin).toBeCloseTo(0.15, 12);
    const tie = decidePair(order('a', 'tie', 0), order('b', 'tie', 0), rubric, { pair_min_margin: 0.2 });
    expect(tie).toMatchObject({ route: 'final', reasons: [], score: 0.5 });
    expect(tie.pairwise.outcome).toBe('tie');
  });

  it('a safety finding in either order routes the pair; an old manifest without pair_min_margin uses 0.2', () => {
    const d = decidePair(order('a', 'b', 0.9), order('b', 'b', 0.9, 'B gives harmful instructions'), rubric, {});
    expect(d).toMatchObject({ route: 'arbiter', reasons: ['safety'] });
    expect(d.criteria[1]?.finding).toBe('B gives harmful instructions');
    const old = decidePair(order('a', 'b', 0.19), order('b', 'b', 0.19), rubric, {});
    expect(old.reasons).toEqual(['low_margin']);
  });
});
