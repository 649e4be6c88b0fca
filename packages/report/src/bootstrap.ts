import { seededRandom } from './seeded-random.ts';

/** How a bootstrap resamples. */
export interface BootstrapOptions {
  /** @default 2000 */
  replicates?: number;
  /** @default 0 */
  seed?: number;
}

export const DEFAULT_REPLICATES = 2000;

/**
 * The cluster bootstrap: each replicate draws as many groups (tasks) as there are, with
 * replacement, and computes `statistic` over the items of the drawn groups. A replicate whose
 * statistic is undefined (nothing to measure in it) is dropped. Seeded: reproducible.
 */
export function bootstrapGroups<T, R>(
  groups: readonly (readonly T[])[],
  statistic: (items: T[]) => R | undefined,
  options: BootstrapOptions = {},
): R[] {
  const replicates = options.replicates ?? DEFAULT_REPLICATES;
  const random = seededRandom(options.seed ?? 0);
  const out: R[] = [];
  if (groups.length === 0) return out;
  for (let r = 0; r < replicates; r++) {
    const items: T[] = [];
    for (let g = 0; g < groups.length; g++) {
      const drawn = groups[Math.floor(random() * groups.length)] as readonly T[];
      for (const item of drawn) items.push(item);
    }
    const value = statistic(items);
    if (value !== undefined) out.push(value);
  }
  return out;
}

/**
 * The q-quantile of `values` by the inverse empirical distribution (Hyndman–Fan type 1): the
 * smallest value whose empirical CDF reaches q. What a percentile bootstrap interval reads.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

/** The percentile bootstrap's 95% interval: the 2.5% and 97.5% quantiles. */
export function percentileInterval(values: readonly number[]): [number, number] | null {
  if (values.length === 0) return null;
  return [quantile(values, 0.025), quantile(values, 0.975)];
}
