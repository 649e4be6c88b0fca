import { describe, expect, it } from 'vitest';
import { mde80 } from './power.ts';

describe('the minimum detectable effect at 80% power, α = .05', () => {
  it("inverts Connor's sample size for McNemar (by hand: δ = .10, ψ = .20)", () => {
    // n = (z.975·√ψ + z.80·√(ψ − δ²))² / δ²
    //   = (1.959964·√.2 + 0.841621·√.19)² / .01
    //   = (1.959964·0.4472136 + 0.841621·0.4358899)² / .01
    //   = (0.8765225 + 0.3668538)² / .01 = 1.2433763² / .01 = 154.5985
    const n = (1.959964 * 0.4472136 + 0.841621 * 0.4358899) ** 2 / 0.01;
    expect(n).toBeCloseTo(154.5985, 3);
    expect(mde80(n, 0.2)).toBeCloseTo(0.1, 5);
  });

  it('shrinks with √n at fixed discordance', () => {
    // δ = .05, ψ = .2: n = (1.959964·0.4472136 + 0.841621·√.1975)² / .0025
    //   = (0.8765225 + 0.841621·0.4444097)² / .0025 = (0.8765225 + 0.3740247)² / .0025 = 1.2505472² / .0025 = 1.5638684 / .0025 = 625.547
    const n = (1.959964 * 0.4472136 + 0.841621 * Math.sqrt(0.1975)) ** 2 / 0.0025;
    expect(n).toBeCloseTo(625.547, 2);
    expect(mde80(n, 0.2)).toBeCloseTo(0.05, 5);
  });

  it('is unknown without pairs or without a discordant pair', () => {
    expect(mde80(0, 0.2)).toBeNull();
    expect(mde80(100, 0)).toBeNull();
    // n = 1, ψ = 1: δ·1 = 1.96 + 0.84·√(1 − δ²) has no root with δ ≤ 1.
    expect(mde80(1, 1)).toBeNull();
  });
});
