import { Z_975 } from './normal.ts';
import { wilsonInterval } from './wilson-interval.ts';

/**
 * A paired 2×2 table of n units each classified twice (Newcombe's notation): `a` positive both times,
 * `b` positive the first time only, `c` positive the second time only, `d` negative both times. The
 * first proportion is p₁ = (a + b)/n, the second p₂ = (a + c)/n.
 */
export interface PairedTable {
  a: number;
  b: number;
  c: number;
  d: number;
}

/** The difference θ = p₁ − p₂ of a paired table, its 95% interval and the correlation used. */
export interface NewcombePaired {
  estimate: number;
  ci95: [number, number];
  /** φ̂, the correlation of the two classifications (0 when a margin is empty). */
  phi: number;
}

/**
 * Newcombe's hybrid score interval for the difference of two paired proportions — method 10 of
 * Newcombe (1998), "Improved confidence intervals for the difference between binomial proportions
 * based on paired data", Statistics in Medicine 17:2635–2650, in the paper's notation (the same formula
 * as Wenzel & Zapf's R package diffdepprop, `R/wilson.R`, which cites that paper). With
 * [l₁, u₁] and [l₂, u₂] the Wilson score intervals of p₁ and p₂ ({@link wilsonInterval}) and
 *
 *   φ̂ = (ad − bc) / √((a+b)(c+d)(a+c)(b+d)),  φ̂ = 0 when that product is 0,
 *
 * the limits are θ̂ − δ and θ̂ + ε (see {@link squareAndAdd}). Unlike the Wald interval of the paired
 * difference it keeps a width when no pair is discordant: n pairs that all agree still leave the two
 * proportions only as certain as their Wilson intervals. (Altman et al., "Statistics with Confidence",
 * 2nd ed. 2000, and Fagerland, Lydersen & Laake 2014 shrink ad − bc towards 0 by n/2 before dividing;
 * that variant is not the paper's method 10 and is not used here.)
 */
export function newcombePaired(table: PairedTable, z: number = Z_975): NewcombePaired {
  const { a, b, c, d } = table;
  for (const [name, count] of Object.entries(table)) {
    if (!Number.isInteger(count) || count < 0) throw new Error(`newcombePaired: ${name} must be a count, got ${count}`);
  }
  const n = a + b + c + d;
  if (n === 0) throw new Error('newcombePaired: the table is empty');
  const product = (a + b) * (c + d) * (a + c) * (b + d);
  const phi = product === 0 ? 0 : (a * d - b * c) / Math.sqrt(product);
  const p1 = (a + b) / n;
  const p2 = (a + c) / n;
  return {
    estimate: p1 - p2,
    ci95: squareAndAdd(p1, wilsonInterval(a + b, n, z), p2, wilsonInterval(a + c, n, z), phi),
    phi,
  };
}

/**
 * Newcombe's square-and-add step: the interval of p₁ − p₂ from an interval [l₁, u₁] of p₁, an interval
 * [l₂, u₂] of p₂ and the correlation φ of the two estimates,
 *
 *   δ = √((p₁ − l₁)² − 2φ(p₁ − l₁)(u₂ − p₂) + (u₂ − p₂)²),
 *   ε = √((u₁ − p₁)² − 2φ(u₁ − p₁)(p₂ − l₂) + (p₂ − l₂)²),
 *
 * giving [p₁ − p₂ − δ, p₁ − p₂ + ε], clipped to [−1, 1]. With φ = 0 it is the interval Newcombe
 * gives for independent proportions (his 1998 method 10 for that case).
 */
export function squareAndAdd(
  p1: number,
  [l1, u1]: readonly [number, number],
  p2: number,
  [l2, u2]: readonly [number, number],
  phi: number,
): [number, number] {
  const spread = (x: number, y: number) => Math.sqrt(Math.max(0, x * x - 2 * phi * x * y + y * y));
  const delta = spread(p1 - l1, u2 - p2);
  const epsilon = spread(u1 - p1, p2 - l2);
  return [Math.max(-1, p1 - p2 - delta), Math.min(1, p1 - p2 + epsilon)];
}
