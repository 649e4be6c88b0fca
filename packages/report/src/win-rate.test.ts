import { describe, expect, it } from 'vitest';
import type { PairObservation } from './pair-observations.ts';
import { winRate } from './win-rate.ts';

function obs(task: string, outcome: PairObservation['outcome'], length_a = 100, length_b = 100): PairObservation {
  return {
    sample_id: task,
    task,
    a: 'base',
    b: 'cand',
    outcome,
    consistent: outcome !== 'inconsistent',
    length_a,
    length_b,
  };
}

describe('win rate of B over A', () => {
  it('counts ties as half, leaves inconsistent pairs out, and splits by length difference', () => {
    const w = winRate([
      obs('t1', 'b', 100, 150), // B 33% longer: b_longer, the longer won
      obs('t2', 'b', 110, 100), // B 9% shorter: similar, the shorter won
      obs('t3', 'tie', 100, 100),
      obs('t4', 'a', 100, 50), // B 50% shorter: b_shorter, the longer (A) won
      obs('t5', 'inconsistent', 100, 300),
    ]);
    expect(w).toMatchObject({ pairs: 5, decided: 4, wins_b: 2, wins_a: 1, ties: 1, inconsistent: 1 });
    expect(w.win_rate).toBe((1 + 1 + 0.5 + 0) / 4);
    // 2 against 1: 2 · (1 + 3) / 8 ≥ 1.
    expect(w.sign_test).toEqual({ wins: 2, losses: 1, p_value: 1 });
    expect(w.by_length).toEqual([
      { bucket: 'b_shorter', decided: 1, win_rate: 0 },
      { bucket: 'similar', decided: 2, win_rate: 0.75 },
      { bucket: 'b_longer', decided: 1, win_rate: 1 },
    ]);
    expect(w.longer_preferred).toEqual({ pairs: 3, rate: 2 / 3 });
  });

  it('a known better system: 30 wins, 4 ties, 6 losses over 40 tasks', () => {
    const pairs = [
      ...Array.from({ length: 30 }, (_, i) => obs(`w${i}`, 'b')),
      ...Array.from({ length: 4 }, (_, i) => obs(`t${i}`, 'tie')),
      ...Array.from({ length: 6 }, (_, i) => obs(`l${i}`, 'a')),
    ];
    const w = winRate(pairs, { seed: 11, replicates: 4000 });
    expect(w.win_rate).toBe(0.8);
    // By hand: scores have mean 0.8 and variance 31/40 − 0.64 = 0.135, so the normal interval is
    // 0.8 ± 1.96 · √(0.135 / 40) = [0.686, 0.914]; the percentile bootstrap lands within 0.02 of it.
    const se = Math.sqrt(0.135 / 40);
    const [low, high] = w.win_rate_ci95 ?? [Number.NaN, Number.NaN];
    expect(Math.abs(low - (0.8 - 1.96 * se))).toBeLessThan(0.02);
    expect(Math.abs(high - (0.8 + 1.96 * se))).toBeLessThan(0.02);
    expect(low).toBeGreaterThan(0.5);
    // Sign test 30 vs 6: 2 · Σ_{k≤6} C(36,k) / 2^36, the tail summed by hand.
    const tail = [1, 36, 630, 7140, 58905, 376992, 1947792].reduce((s, x) => s + x, 0);
    expect(w.sign_test.p_value).toBeCloseTo((2 * tail) / 2 ** 36, 15);
    // Reproducible: the same seed gives the same interval.
    expect(winRate(pairs, { seed: 11, replicates: 4000 }).win_rate_ci95).toEqual(w.win_rate_ci95);
  });

  it('all pairs inconsistent: no win rate at all, never ½', () => {
    const w = winRate([obs('t1', 'inconsistent'), obs('t2', 'inconsistent')]);
    expect(w).toMatchObject({ decided: 0, win_rate: null, win_rate_ci95: null, inconsistent: 2 });
    expect(w.sign_test.p_value).toBe(1);
  });
});
