import { describe, expect, it } from 'vitest';
import { decide } from './ship-rule.ts';

describe('the ship rule', () => {
  it('decides from the 95% CI of the paired pass-rate difference', () => {
    expect(decide([0.01, 0.2]).outcome).toBe('improved');
    expect(decide([-0.2, -0.01]).outcome).toBe('regressed');
    expect(decide([-0.2, 0.1]).outcome).toBe('no significant change');
    expect(decide([-0.2, 0.1]).ship_blocked).toBeNull();
  });

  it('blocks the ship when the lower end is below −PTS/100', () => {
    expect(decide([-0.051, 0.1], 5)).toMatchObject({ ship_blocked: true, max_drop_pts: 5 });
    expect(decide([-0.049, 0.1], 5)).toMatchObject({ ship_blocked: false, max_drop_pts: 5 });
    // An improvement's interval lies above 0: even a zero margin does not block it.
    expect(decide([0.01, 0.1], 0).ship_blocked).toBe(false);
    // No interval (fewer than two tasks): nothing rules a drop out.
    expect(decide(null, 50)).toMatchObject({ ship_blocked: true, outcome: 'no significant change' });
  });

  it('says how little a zero-width interval from no discordant pair proves', () => {
    // 24 pairs, none discordant: 1 − 0.025^(1/24) = 1 − e^(ln 0.025 / 24) = 1 − e^(−3.688879/24)
    // = 1 − e^(−0.153703) = 1 − 0.857527 = 0.142473 → 14.2 pts.
    const d = decide([0, 0], 5, { pairs: 24, discordant: 0 });
    expect(d.ship_blocked).toBe(false);
    expect(d.reason).toMatch(/no discordant pair: .* 24 pairs only bound a change to 14\.2 pts/);
    expect(decide([0, 0], 5, { pairs: 24, discordant: 2 }).reason).not.toMatch(/no discordant/);
  });
});
