import { describe, expect, it } from 'vitest';
import { chooseBestOfN, type MatchOutcome, planBestOfN } from './best-of-n.ts';

const c = (sample_id: string, score: number | null) => ({ sample_id, system: `m-${sample_id}`, score });

describe('planBestOfN', () => {
  it('ranks by score (equal scores keep their order, no verdict last) and picks the close top candidates', () => {
    const plan = planBestOfN([c('x', 0.7), c('y', 0.95), c('z', null), c('w', 0.9), c('v', 0.9)], {
      margin: 0.1,
      top: 3,
    });
    expect(plan.ranking.map((r) => [r.sample_id, r.rank])).toEqual([
      ['y', 1],
      ['w', 2],
      ['v', 3],
      ['x', 4],
      ['z', 5],
    ]);
    // Best 0.95, margin 0.1: 0.9 and 0.9 are within it (0.85 would be too), 0.7 is not.
    expect(plan.contenders).toEqual(['y', 'w', 'v']);
    expect(plan.matches).toEqual([
      { a: 'y', b: 'w' },
      { a: 'y', b: 'v' },
      { a: 'w', b: 'v' },
    ]);
  });

  it('caps the contenders at top and leaves a clear winner without a tournament', () => {
    expect(planBestOfN([c('a', 1), c('b', 1), c('d', 1)], { margin: 0, top: 2 }).contenders).toEqual(['a', 'b']);
    const clear = planBestOfN([c('a', 0.5), c('b', 1)], { margin: 0.1, top: 3 });
    expect(clear).toMatchObject({ contenders: ['b'], matches: [] });
    expect(chooseBestOfN(clear, () => undefined)).toMatchObject({
      chosen: { sample_id: 'b' },
      decided_by: 'pointwise',
    });
    expect(chooseBestOfN(planBestOfN([c('a', null)]), () => undefined)).toMatchObject({
      chosen: null,
      decided_by: 'none',
    });
  });
});

describe('chooseBestOfN', () => {
  const plan = planBestOfN([c('p', 0.9), c('q', 0.88), c('r', 0.85)], { margin: 0.1, top: 3 });
  const table = (o: Record<string, MatchOutcome>) => (m: { a: string; b: string }) => o[`${m.a}-${m.b}`];

  it('chooses the contender with the most tournament points: a win 1, a tie ½ each', () => {
    // q beats p, q ties r, p beats r: q 1.5, p 1, r 0.5.
    const choice = chooseBestOfN(plan, table({ 'p-q': 'b', 'p-r': 'a', 'q-r': 'tie' }));
    expect(choice.points).toEqual({ p: 1, q: 1.5, r: 0.5 });
    expect(choice).toMatchObject({ chosen: { sample_id: 'q', rank: 2 }, decided_by: 'tournament' });
  });

  it('breaks equal points by the pointwise rank, counts inconsistent and missing matches for no one', () => {
    // p-q inconsistent, r beats p, q beats r: p 0, q 1, r 1 → q (rank 2) over r (rank 3).
    const choice = chooseBestOfN(plan, table({ 'p-q': 'inconsistent', 'p-r': 'b', 'q-r': 'a' }));
    expect(choice.points).toEqual({ p: 0, q: 1, r: 1 });
    expect(choice.chosen?.sample_id).toBe('q');
    expect(choice.tournament.map((m) => m.outcome)).toEqual(['inconsistent', 'b', 'a']);
    // Nothing decided (inconsistent or no verdict): the pointwise best.
    const undecided = chooseBestOfN(plan, table({ 'p-q': 'inconsistent' }));
    expect(undecided).toMatchObject({ chosen: { sample_id: 'p' }, decided_by: 'pointwise' });
    expect(undecided.tournament.map((m) => m.outcome)).toEqual(['inconsistent', 'missing', 'missing']);
  });
});
