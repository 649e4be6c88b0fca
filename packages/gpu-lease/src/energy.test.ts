import { describe, expect, it } from 'vitest';
import { EMPTY_ENERGY, energyCostUsd, integratePower, joulesToKwh } from './energy.ts';

describe('energy', () => {
  it('integrates power over time with the trapezoid rule', () => {
    let state = EMPTY_ENERGY;
    state = integratePower(state, { at: 0, watts: 100 }, 60_000);
    state = integratePower(state, { at: 10_000, watts: 300 }, 60_000);
    state = integratePower(state, { at: 20_000, watts: 300 }, 60_000);
    // (100+300)/2 W × 10 s + 300 W × 10 s
    expect(state.joules).toBeCloseTo(2000 + 3000);
  });

  it('adds nothing across a gap longer than the limit, a clock going back, or a missing reading', () => {
    let state = integratePower(EMPTY_ENERGY, { at: 0, watts: 500 }, 5_000);
    state = integratePower(state, { at: 60_000, watts: 500 }, 5_000);
    expect(state.joules).toBe(0);
    state = integratePower(state, { at: 59_000, watts: 500 }, 5_000);
    expect(state.joules).toBe(0);
    state = integratePower(state, undefined, 5_000);
    state = integratePower(state, { at: 60_000, watts: 500 }, 5_000);
    expect(state.joules).toBe(0);
    state = integratePower(state, { at: 61_000, watts: 500 }, 5_000);
    expect(state.joules).toBeCloseTo(500);
  });

  it('prices energy per kWh', () => {
    // 575 W for one hour is 0.575 kWh.
    const joules = 575 * 3600;
    expect(joulesToKwh(joules)).toBeCloseTo(0.575);
    expect(energyCostUsd(joules, 0.3)).toBeCloseTo(0.1725);
  });
});
