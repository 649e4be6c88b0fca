/** Joules in one kilowatt-hour. */
export const JOULES_PER_KWH = 3_600_000;

export interface PowerSample {
  /** Milliseconds since the epoch. */
  at: number;
  watts: number;
}

export interface EnergyState {
  joules: number;
  last: PowerSample | undefined;
}

export const EMPTY_ENERGY: EnergyState = { joules: 0, last: undefined };

/**
 * Adds one power reading: the energy since the previous reading is the trapezoid between them.
 * A gap longer than `maxGapMs` (the reader was down) or a clock going back adds nothing, rather
 * than guessing; a missing reading (`undefined` watts) ends the current segment.
 */
export function integratePower(state: EnergyState, sample: PowerSample | undefined, maxGapMs: number): EnergyState {
  if (!sample) return { joules: state.joules, last: undefined };
  const previous = state.last;
  if (!previous) return { joules: state.joules, last: sample };
  const dtMs = sample.at - previous.at;
  if (dtMs <= 0 || dtMs > maxGapMs) return { joules: state.joules, last: sample };
  const joules = ((previous.watts + sample.watts) / 2) * (dtMs / 1000);
  return { joules: state.joules + joules, last: sample };
}

export function joulesToKwh(joules: number): number {
  return joules / JOULES_PER_KWH;
}

/** Electricity cost of `joules` at `usdPerKwh`. */
export function energyCostUsd(joules: number, usdPerKwh: number): number {
  return joulesToKwh(joules) * usdPerKwh;
}
