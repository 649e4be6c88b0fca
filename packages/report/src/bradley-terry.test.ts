import { describe, expect, it } from 'vitest';
import { type Battle, bradleyTerry, bradleyTerryRatings, eloScale, identifiable } from './bradley-terry.ts';
import type { PairObservation } from './pair-observations.ts';

function battles(i: string, j: string, iWins: number, jWins: number, ties = 0): Battle[] {
  return [
    ...Array.from({ length: iWins }, () => ({ i, j, score: 1 })),
    ...Array.from({ length: jWins }, () => ({ i, j, score: 0 })),
    ...Array.from({ length: ties }, () => ({ i, j, score: 0.5 })),
  ];
}

describe('Bradley–Terry', () => {
  it('two systems, 3 wins to 1: p_A / p_B = 3, so p_A = √3 at geometric mean 1', () => {
    const fit = bradleyTerry(['A', 'B'], battles('A', 'B', 3, 1));
    expect(fit?.get('A')).toBeCloseTo(Math.sqrt(3), 9);
    expect(fit?.get('B')).toBeCloseTo(1 / Math.sqrt(3), 9);
    // 400 · log10(3) ≈ 190.85 rating points apart.
    expect(eloScale(fit?.get('A') ?? 0) - eloScale(fit?.get('B') ?? 0)).toBeCloseTo(400 * Math.log10(3), 6);
  });

  it('three systems whose counts fit strengths 4 : 2 : 1 exactly solve the likelihood equations', () => {
    // With p = (4, 2, 1): P(A>B) = 2/3, P(B>C) = 2/3, P(A>C) = 4/5, so A–B 2:1, B–C 2:1, A–C 4:1.
    // Score equations W_i = Σ_j n_ij p_i / (p_i + p_j): A 6 = 3·4/6 + 5·4/5; B 3 = 3·2/6 + 3·2/3;
    // C 2 = 3·1/3 + 5·1/5 — all hold, so (4, 2, 1) is the maximum-likelihood fit (up to scale).
    const data = [...battles('A', 'B', 2, 1), ...battles('B', 'C', 2, 1), ...battles('A', 'C', 4, 1)];
    const fit = bradleyTerry(['A', 'B', 'C'], data);
    const a = fit?.get('A') ?? 0;
    const b = fit?.get('B') ?? 0;
    const c = fit?.get('C') ?? 0;
    expect(a / c).toBeCloseTo(4, 8);
    expect(b / c).toBeCloseTo(2, 8);
    expect(a * b * c).toBeCloseTo(1, 9);
  });

  it('ties count as half a win each; a cycle is balanced', () => {
    const tied = bradleyTerry(['A', 'B'], battles('A', 'B', 1, 1, 2));
    expect(tied?.get('A')).toBeCloseTo(1, 9);
    const cycle = [...battles('A', 'B', 2, 1), ...battles('B', 'C', 2, 1), ...battles('C', 'A', 2, 1)];
    const fit = bradleyTerry(['A', 'B', 'C'], cycle);
    for (const s of ['A', 'B', 'C']) expect(fit?.get(s)).toBeCloseTo(1, 9);
  });

  it('has no fit when a system never lost (the win graph is not strongly connected)', () => {
    const chain = [...battles('A', 'B', 3, 0), ...battles('B', 'C', 2, 1)];
    expect(identifiable(['A', 'B', 'C'], chain)).toBe(false);
    expect(bradleyTerry(['A', 'B', 'C'], chain)).toBeUndefined();
    expect(identifiable(['A', 'B', 'C'], [...chain, ...battles('A', 'C', 0, 1)])).toBe(true);
  });

  it('ranks three systems with bootstrap CIs on ratings and rank intervals, reproducibly', () => {
    // 60 tasks, each a pair of two of the systems: strong beats mid 3 of 4, mid beats weak 3 of 4,
    // strong beats weak 9 of 10.
    const pairs: PairObservation[] = [];
    const add = (a: string, b: string, aWins: boolean, n: number) =>
      pairs.push({
        sample_id: `s${n}`,
        task: `t${n}`,
        a,
        b,
        outcome: aWins ? 'a' : 'b',
        consistent: true,
        length_a: null,
        length_b: null,
      });
    let n = 0;
    for (let k = 0; k < 20; k++) add('strong', 'mid', k % 4 !== 0, n++);
    for (let k = 0; k < 20; k++) add('mid', 'weak', k % 4 !== 0, n++);
    for (let k = 0; k < 20; k++) add('strong', 'weak', k % 10 !== 0, n++);
    const fit = bradleyTerryRatings(pairs, { seed: 5, replicates: 500 });
    expect(fit.identifiable).toBe(true);
    expect(fit.ratings.map((r) => [r.system, r.rank])).toEqual([
      ['strong', 1],
      ['mid', 2],
      ['weak', 3],
    ]);
    for (const r of fit.ratings) {
      const [low, high] = r.rating_ci95 ?? [Number.NaN, Number.NaN];
      expect(low).toBeLessThanOrEqual(r.rating);
      expect(high).toBeGreaterThanOrEqual(r.rating);
      const [best, worst] = r.rank_interval ?? [0, 0];
      expect(best).toBeLessThanOrEqual(r.rank);
      expect(worst).toBeGreaterThanOrEqual(r.rank);
    }
    // The fit's own score equations hold at the reported strengths (the MLE), checked here directly.
    const p = new Map(fit.ratings.map((r) => [r.system, r.strength]));
    const expected = (i: string) =>
      pairs
        .filter((x) => x.a === i || x.b === i)
        .reduce((s, x) => {
          const other = x.a === i ? x.b : x.a;
          return s + (p.get(i) ?? 0) / ((p.get(i) ?? 0) + (p.get(other) ?? 0));
        }, 0);
    const won = (i: string) =>
      pairs.filter((x) => (x.a === i && x.outcome === 'a') || (x.b === i && x.outcome === 'b')).length;
    for (const s of ['strong', 'mid', 'weak']) expect(expected(s)).toBeCloseTo(won(s), 6);
    expect(bradleyTerryRatings(pairs, { seed: 5, replicates: 500 })).toEqual(fit);
  });
});
