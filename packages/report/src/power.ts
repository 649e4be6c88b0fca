import { Z_80, Z_975 } from './normal.ts';

/**
 * The minimum detectable effect (in pass-rate units, 0–1) of a paired comparison of two pass rates
 * at 80% power and two-sided α = 0.05, for `n` pairs of which a share `discordance` (ψ = (b + c)/n)
 * disagree. It inverts Connor's (1987) sample-size formula for McNemar's test,
 *
 *   n = ( z_{1−α/2} · √ψ + z_{1−β} · √(ψ − δ²) )² / δ²,
 *
 * solving δ·√n = z_{0.975}·√ψ + z_{0.80}·√(ψ − δ²) for δ by bisection on (0, √ψ]. A "no significant
 * change" therefore says how small a change this comparison could have seen. Null when there are
 * no pairs or no discordant pair (nothing to scale the effect by), or when no δ ≤ √ψ reaches 80% power.
 */
export function mde80(n: number, discordance: number): number | null {
  if (n <= 0 || !(discordance > 0)) return null;
  const psi = Math.min(1, discordance);
  const gap = (delta: number) =>
    delta * Math.sqrt(n) - Z_975 * Math.sqrt(psi) - Z_80 * Math.sqrt(Math.max(0, psi - delta * delta));
  let low = 0;
  let high = Math.sqrt(psi);
  if (gap(high) < 0) return null;
  for (let i = 0; i < 200 && high - low > 1e-13; i++) {
    const mid = (low + high) / 2;
    if (gap(mid) < 0) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}
