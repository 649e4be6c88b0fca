/**
 * When a sample's analysis is needed, for the analysis server's gathering (its `within_ms` hint): the
 * sample is graded once both its analysis and its execution are done, and its execution waits for a
 * slot behind `waiting` others at `concurrency` slots, each slot busy for about `slotMs` per sample.
 * The estimate is early on purpose (a slot now busy is counted as just starting, so the answer is asked
 * for before the execution can end): `(⌊waiting / concurrency⌋ + 1) × slotMs`. With no slot time
 * measured yet there is no hint (the server answers at once).
 */
export function answerNeededWithinMs(input: {
  waiting: number;
  concurrency: number;
  slotMs: number | null;
}): number | undefined {
  const { waiting, concurrency, slotMs } = input;
  if (slotMs === null || !(slotMs > 0) || concurrency < 1) return undefined;
  return Math.round((Math.floor(Math.max(0, waiting) / concurrency) + 1) * slotMs);
}

/** The mean time a sample holds an execution slot (EWMA, weight `alpha` on the newest sample). */
export class SlotTime {
  private mean: number | null = null;
  constructor(private readonly alpha = 0.2) {}

  /** One sample held a slot for `ms`. */
  record(ms: number): void {
    this.mean = this.mean === null ? ms : (1 - this.alpha) * this.mean + this.alpha * ms;
  }

  /** The mean so far; null before the first sample. */
  get ms(): number | null {
    return this.mean;
  }
}
