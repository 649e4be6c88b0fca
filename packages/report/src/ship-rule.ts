import type { DecidingInterval, IntervalName } from './decision-interval.ts';

/** What the comparison concludes about the candidate. */
export type Outcome = 'improved' | 'no significant change' | 'regressed';

export interface Decision {
  outcome: Outcome;
  /** The non-inferiority margin in percentage points, when one was given (`--max-drop`). */
  max_drop_pts: number | null;
  /** True when a drop larger than `max_drop_pts` cannot be ruled out; null without a margin. */
  ship_blocked: boolean | null;
  /** The interval that decided (see `decidingInterval`); null when there was none. */
  interval: IntervalName | null;
  /** One line saying why. */
  reason: string;
}

const pts = (x: number) => `${(x * 100).toFixed(1)} pts`;

/**
 * The ship rule, from a 95% interval of the paired pass-rate difference (candidate − base), chosen by
 * `decidingInterval`: `improved` when its lower end is above 0, `regressed` when its upper end is
 * below 0, otherwise `no significant change`. With a margin of `maxDropPts` percentage points, the
 * ship is blocked when the lower end is below −maxDropPts/100 (non-inferiority: a drop that large
 * cannot be ruled out), and also when there is no interval at all (nothing rules a drop out).
 */
export function decide(deciding: DecidingInterval, maxDropPts?: number): Decision {
  const margin = maxDropPts ?? null;
  const { ci, name } = deciding;
  if (ci === null) {
    return {
      outcome: 'no significant change',
      max_drop_pts: margin,
      ship_blocked: margin === null ? null : true,
      interval: null,
      reason: 'too few paired tasks for a confidence interval',
    };
  }
  const [low, high] = ci;
  const outcome: Outcome = low > 0 ? 'improved' : high < 0 ? 'regressed' : 'no significant change';
  const interval = `95% ${deciding.label} of the pass-rate difference [${pts(low)}, ${pts(high)}]`;
  if (margin === null) return { outcome, max_drop_pts: null, ship_blocked: null, interval: name, reason: interval };
  const blocked = low < -margin / 100;
  return {
    outcome,
    max_drop_pts: margin,
    ship_blocked: blocked,
    interval: name,
    reason: blocked
      ? `${interval}: a drop of more than ${margin} pts cannot be ruled out`
      : `${interval}: a drop of more than ${margin} pts is ruled out`,
  };
}
