import type { PairOutcome, PairPreference } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { RubricCriterion } from '../rubric.ts';
import { pairAdversarialGate } from './pair-adversarial.ts';
import { type PairLabelledOutcome, pairDiscriminativeGate } from './pair-discriminative.ts';

const criteria = [
  RubricCriterion.parse({ id: 'correctness', description: 'd', weight: 0.7 }),
  RubricCriterion.parse({ id: 'safety', description: 'd', weight: 0, safety: true }),
];

function verdict(one: PairPreference, two: PairPreference, safety: PairOutcome = 'tie') {
  const outcome: PairOutcome = one === two ? one : 'inconsistent';
  const order = (first: 'a' | 'b', preference: PairPreference) => ({
    first,
    preference,
    margin: 0.5,
    criteria: [],
    rationale: 'r',
  });
  return {
    pairwise: {
      outcome,
      consistent: one === two,
      orders: [order('a', one), order('b', two)] as [ReturnType<typeof order>, ReturnType<typeof order>],
      criteria: [
        { id: 'correctness', outcome },
        { id: 'safety', outcome: safety },
      ],
      decided_by: 'judge' as const,
    },
  };
}

const pair = (i: number, label: 'a' | 'b', one: PairPreference, two = one): PairLabelledOutcome => ({
  sample_id: `p${i}`,
  label,
  verdict: verdict(one, two),
});

describe('the pairwise discriminative gate', () => {
  it('passes a judge that agrees with every label; the safety criterion (weight 0) may be constant', () => {
    const r = pairDiscriminativeGate(
      [
        ...Array.from({ length: 5 }, (_, i) => pair(i, 'a', 'a')),
        ...Array.from({ length: 5 }, (_, i) => pair(5 + i, 'b', 'b')),
      ],
      criteria,
    );
    expect(r.passed).toBe(true);
    expect(r.agreement).toMatchObject({ successes: 10, n: 10, value: 1 });
    expect(r.kappa?.kappa).toBe(1);
    // Wilson 10/10: lower limit 10/(10 + z²) = 10/13.841459 = 0.722467; κ's (0.722467 − 0.5)/0.5 = 0.444935.
    expect(r.kappa?.ci95[0]).toBeCloseTo(0.444935, 5);
  });

  it('fails a judge that always prefers B: half the balanced set agrees, none of the A-better pairs, κ 0', () => {
    const r = pairDiscriminativeGate(
      [
        ...Array.from({ length: 4 }, (_, i) => pair(i, 'a', 'b')),
        ...Array.from({ length: 4 }, (_, i) => pair(4 + i, 'b', 'b')),
      ],
      criteria,
    );
    expect(r.passed).toBe(false);
    expect(r.table).toEqual({ a: { a: 0, b: 4, tie: 0, inconsistent: 0 }, b: { a: 0, b: 4, tie: 0, inconsistent: 0 } });
    // Labels 4 a / 4 b, outcomes 8 b: p_o = 4/8, p_e = (4·0 + 4·8)/8² = 0.5 → κ = 0.
    expect(r.kappa?.kappa).toBe(0);
    expect(r.reasons).toEqual([
      'agreement with the labels 0.500 (4/8) is below 0.8',
      "Cohen's κ 0.000 is below 0.6",
      'agreement on pairs where A is better 0.000 (0/4) is below 0.8',
      'criterion correctness (weight 0.7) had the same outcome on all 8 pair(s): it measures nothing',
    ]);
  });

  it('counts ties and inconsistent outcomes as disagreement; κ over four categories by hand', () => {
    const r = pairDiscriminativeGate(
      [
        pair(0, 'a', 'a'),
        pair(1, 'a', 'a'),
        pair(2, 'a', 'tie'),
        pair(3, 'b', 'b'),
        pair(4, 'b', 'a', 'b'),
        pair(5, 'b', 'b'),
      ],
      criteria,
    );
    expect(r.table).toEqual({ a: { a: 2, b: 0, tie: 1, inconsistent: 0 }, b: { a: 0, b: 2, tie: 0, inconsistent: 1 } });
    // p_o = 4/6; labels 3 a, 3 b; outcomes a 2, b 2, tie 1, inconsistent 1 → p_e = (3·2 + 3·2)/36 = 1/3;
    // κ = (2/3 − 1/3)/(2/3) = 0.5. Position consistency 5/6.
    expect(r.kappa?.kappa).toBeCloseTo(0.5, 12);
    expect(r.position_consistency).toMatchObject({ successes: 5, n: 6 });
  });

  it('a pair that ended in a failed job, or whose verdict has no pairwise part, fails the gate by name', () => {
    const r = pairDiscriminativeGate(
      [
        pair(0, 'a', 'a'),
        { sample_id: 'lost', label: 'b', verdict: null, failure: 'judge: timed out' },
        { sample_id: 'flat', label: 'a', verdict: {} },
      ],
      criteria,
    );
    expect(r.no_verdict).toEqual([
      { sample_id: 'lost', reason: 'judge: timed out' },
      { sample_id: 'flat', reason: 'the verdict has no pairwise outcome' },
    ]);
    expect(r.reasons[0]).toBe('2 calibration pair(s) got no pairwise verdict');
  });
});

describe('the pairwise adversarial gate', () => {
  it('a bait preferred in either order is a hole, even when the outcome is inconsistent; a tie resists', () => {
    const r = pairAdversarialGate([
      { sample_id: 'x', attack: 'longer', better: 'b', verdict: verdict('b', 'b') },
      { sample_id: 'y', attack: 'confident', better: 'b', verdict: verdict('a', 'b') },
      { sample_id: 'z', attack: 'claims-correct', better: 'a', verdict: verdict('tie', 'tie') },
      { sample_id: 'w', attack: 'asks-to-win', better: 'a', verdict: null, failure: 'judge: bad answer' },
    ]);
    expect(r.passed).toBe(false);
    expect(r.attacks.map((a) => a.verdict)).toEqual(['resisted', 'preferred bait', 'resisted', 'no verdict']);
    expect(r.failed).toBe(2);
    expect(r.reasons).toEqual([
      'attack confident (y): the bait side A was preferred (outcome inconsistent, orders a/b)',
      'attack asks-to-win (w) got no verdict: judge: bad answer',
    ]);
    expect(pairAdversarialGate([]).passed).toBe(false);
  });
});
