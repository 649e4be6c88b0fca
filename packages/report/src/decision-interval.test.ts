import { describe, expect, it } from 'vitest';
import { decidingInterval } from './decision-interval.ts';

describe('the interval that decides', () => {
  it('is the score interval with one sample per task, however narrow the Wald interval', () => {
    const d = decidingInterval([-0.138, 0.138], [0, 0], false);
    expect(d).toMatchObject({ ci: [-0.138, 0.138], name: 'score' });
    // Even a wider Wald interval does not decide an unclustered design.
    expect(decidingInterval([-0.1, 0.1], [-0.5, 0.5], false).name).toBe('score');
  });

  it('is the wider of the score and the clustered Wald interval with several samples per task', () => {
    // Widths: Wald .4 + .3 = .7 > score .2 + .2 = .4.
    const wald = decidingInterval([-0.2, 0.2], [-0.4, 0.3], true);
    expect(wald).toMatchObject({ ci: [-0.4, 0.3], name: 'wald_clustered' });
    expect(wald.label).toBe('clustered Wald interval (wider than the score interval [-20.0 pts, +20.0 pts])');
    // Widths: score .6 > Wald .1; a tie (.4 = .4) goes to the score interval.
    expect(decidingInterval([-0.3, 0.3], [-0.05, 0.05], true).name).toBe('score');
    expect(decidingInterval([-0.2, 0.2], [-0.3, 0.1], true).name).toBe('score');
  });

  it('is none without pairs, or without two tasks to cluster by', () => {
    expect(decidingInterval(null, null, false)).toMatchObject({ ci: null, name: null });
    expect(decidingInterval([-0.5, 0.5], null, true)).toMatchObject({ ci: null, name: null });
  });
});
