/** What the comparison concludes about the candidate. */
export type Outcome = 'improved' | 'no significant change' | 'regressed';

export interface Decision {
  outcome: Outcome;
  /** The non-inferiority margin in percentage points, when one was given (`--max-drop`). */
  max_drop_pts: number | null;
  /** True when a drop larger than `max_drop_pts` cannot be ruled out; null without a margin. */
  ship_blocked: boolean | null;
  /** One line saying why. */
  reason: string;
}

const pts = (x: number) => `${(x * 100).toFixed(1)} pts`;

/**
 * The ship rule, from the 95% CI of the paired pass-rate difference (candidate − base):
 * `improved` when its lower end is above 0, `regressed` when its upper end is below 0, otherwise
 * `no significant change`. With a margin of `maxDropPts` percentage points, the ship is blocked when
 * the lower end is below −maxDropPts/100 (non-inferiority: a drop that large cannot be ruled out),
 * and also when there is no CI at all (fewer than two tasks paired: nothing rules a drop out).
 */
export function decide(
  ci: [number, number] | null,
  maxDropPts?: number,
  evidence: { pairs: number; discordant: number } = { pairs: 0, discordant: -1 },
): Decision {
  const decision = decideFromInterval(ci, maxDropPts);
  if (evidence.discordant !== 0 || evidence.pairs === 0) return decision;
  return { ...decision, reason: `${decision.reason}; ${zeroDiscordanceNote(evidence.pairs)}` };
}

/**
 * With no discordant pair the paired SE is 0 and the interval has no width, though n pairs only bound
 * the discordant share ψ (and so |δ| ≤ ψ) by the exact one-sided 97.5% Clopper–Pearson limit for
 * 0 of n, 1 − 0.025^(1/n). The reason says so; the rule itself stays the interval's.
 */
export function zeroDiscordanceNote(pairs: number): string {
  const bound = 1 - 0.025 ** (1 / pairs);
  return `no discordant pair: the interval has zero width, yet ${pairs} pairs only bound a change to ${pts(bound)} (exact 95% bound on the discordant share)`;
}

function decideFromInterval(ci: [number, number] | null, maxDropPts?: number): Decision {
  const margin = maxDropPts ?? null;
  if (ci === null) {
    return {
      outcome: 'no significant change',
      max_drop_pts: margin,
      ship_blocked: margin === null ? null : true,
      reason: 'too few paired tasks for a confidence interval',
    };
  }
  const [low, high] = ci;
  const outcome: Outcome = low > 0 ? 'improved' : high < 0 ? 'regressed' : 'no significant change';
  const interval = `95% CI of the pass-rate difference [${pts(low)}, ${pts(high)}]`;
  if (margin === null) return { outcome, max_drop_pts: null, ship_blocked: null, reason: interval };
  const blocked = low < -margin / 100;
  return {
    outcome,
    max_drop_pts: margin,
    ship_blocked: blocked,
    reason: blocked
      ? `${interval}: a drop of more than ${margin} pts cannot be ruled out`
      : `${interval}: a drop of more than ${margin} pts is ruled out`,
  };
}
