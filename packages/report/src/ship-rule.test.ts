import { describe, expect, it } from 'vitest';
import type { DecidingInterval } from './decision-interval.ts';
import { decide } from './ship-rule.ts';

const score = (ci: [number, number] | null): DecidingInterval => ({
  ci,
  name: ci === null ? null : 'score',
  label: 'score interval (Newcombe)',
});

describe('the ship rule', () => {
  it('decides from the deciding interval of the paired pass-rate difference', () => {
    expect(decide(score([0.01, 0.2])).outcome).toBe('improved');
    expect(decide(score([-0.2, -0.01])).outcome).toBe('regressed');
    expect(decide(score([-0.2, 0.1])).outcome).toBe('no significant change');
    expect(decide(score([-0.2, 0.1])).ship_blocked).toBeNull();
  });

  it('blocks the ship when the lower end is below −PTS/100', () => {
    expect(decide(score([-0.051, 0.1]), 5)).toMatchObject({ ship_blocked: true, max_drop_pts: 5 });
    expect(decide(score([-0.049, 0.1]), 5)).toMatchObject({ ship_blocked: false, max_drop_pts: 5 });
    // An improvement's interval lies above 0: even a zero margin does not block it.
    expect(decide(score([0.01, 0.1]), 0).ship_blocked).toBe(false);
    // No interval (fewer than two tasks): nothing rules a drop out.
    expect(decide(score(null), 50)).toMatchObject({
      ship_blocked: true,
      outcome: 'no significant change',
      interval: null,
    });
  });

  it('names the interval that decided in the reason and in `interval`', () => {
    const d = decide(score([-0.137976, 0.137976]), 1);
    expect(d).toMatchObject({ ship_blocked: true, interval: 'score' });
    expect(d.reason).toBe(
      '95% score interval (Newcombe) of the pass-rate difference [-13.8 pts, 13.8 pts]: a drop of more than 1 pts cannot be ruled out',
    );
    const wald = decide({ ci: [-0.3, 0.1], name: 'wald_clustered', label: 'clustered Wald interval' }, 31);
    expect(wald).toMatchObject({ ship_blocked: false, interval: 'wald_clustered' });
    expect(wald.reason).toMatch(/^95% clustered Wald interval .*: a drop of more than 31 pts is ruled out$/);
  });
});
