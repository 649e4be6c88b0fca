import { type BootstrapOptions, bootstrapGroups, percentileInterval, quantile } from './bootstrap.ts';
import { byTask, type PairObservation } from './pair-observations.ts';

/** One comparison between two systems: `score` is i's result against j (1 win, ½ tie, 0 loss). */
export interface Battle {
  i: string;
  j: string;
  score: number;
}

/** Bradley–Terry strengths, normalised to a geometric mean of 1. */
export type Strengths = Map<string, number>;

/** The battles of decided pairs (A as i, B as j); inconsistent pairs are no battle. */
export function battlesOf(pairs: readonly PairObservation[]): Battle[] {
  const out: Battle[] = [];
  for (const p of pairs) {
    if (p.outcome === 'inconsistent' || p.a === p.b) continue;
    out.push({ i: p.a, j: p.b, score: p.outcome === 'a' ? 1 : p.outcome === 'tie' ? 0.5 : 0 });
  }
  return out;
}

/**
 * Whether the Bradley–Terry maximum-likelihood fit exists: it does exactly when every system can
 * be reached from every other along "scored at least something against" edges (Zermelo's / Ford's
 * condition: the win graph is strongly connected). A system that never lost has no finite strength.
 */
export function identifiable(systems: readonly string[], battles: readonly Battle[]): boolean {
  if (systems.length < 2) return false;
  const beat = new Map<string, Set<string>>(systems.map((s) => [s, new Set()]));
  for (const b of battles) {
    if (b.score > 0) beat.get(b.i)?.add(b.j);
    if (b.score < 1) beat.get(b.j)?.add(b.i);
  }
  const reach = (edges: (s: string) => Iterable<string>): number => {
    const seen = new Set([systems[0] as string]);
    const stack = [systems[0] as string];
    while (stack.length > 0) {
      for (const next of edges(stack.pop() as string)) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return seen.size;
  };
  const forward = (s: string) => beat.get(s) ?? [];
  const backward = (s: string) => systems.filter((t) => beat.get(t)?.has(s));
  return reach(forward) === systems.length && reach(backward) === systems.length;
}

/**
 * The Bradley–Terry fit, P(i beats j) = p_i / (p_i + p_j), by Hunter's (2004) MM iteration
 * p_i ← W_i / Σ_j n_ij / (p_i + p_j) (W_i: i's total score, ties counting ½; n_ij: battles between i
 * and j), normalised to a geometric mean of 1 after each step, until no log-strength moves by more
 * than `tolerance`. Undefined when the fit does not exist ({@link identifiable}).
 */
export function bradleyTerry(
  systems: readonly string[],
  battles: readonly Battle[],
  tolerance = 1e-10,
  maxIterations = 100_000,
): Strengths | undefined {
  if (!identifiable(systems, battles)) return undefined;
  const index = new Map(systems.map((s, k) => [s, k]));
  const m = systems.length;
  const wins = new Float64Array(m);
  const games = Array.from({ length: m }, () => new Float64Array(m));
  for (const b of battles) {
    const i = index.get(b.i);
    const j = index.get(b.j);
    if (i === undefined || j === undefined) continue;
    wins[i] = (wins[i] ?? 0) + b.score;
    wins[j] = (wins[j] ?? 0) + (1 - b.score);
    (games[i] as Float64Array)[j] = ((games[i] as Float64Array)[j] ?? 0) + 1;
    (games[j] as Float64Array)[i] = ((games[j] as Float64Array)[i] ?? 0) + 1;
  }
  let p = new Float64Array(m).fill(1);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const next = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let denominator = 0;
      for (let j = 0; j < m; j++) {
        const n = (games[i] as Float64Array)[j] ?? 0;
        if (n > 0) denominator += n / ((p[i] ?? 1) + (p[j] ?? 1));
      }
      next[i] = (wins[i] ?? 0) / denominator;
    }
    let logMean = 0;
    for (let i = 0; i < m; i++) logMean += Math.log(next[i] ?? 1) / m;
    let moved = 0;
    for (let i = 0; i < m; i++) {
      next[i] = (next[i] ?? 1) / Math.exp(logMean);
      moved = Math.max(moved, Math.abs(Math.log(next[i] ?? 1) - Math.log(p[i] ?? 1)));
    }
    p = next;
    if (moved < tolerance) break;
  }
  return new Map(systems.map((s, k) => [s, p[k] ?? 1]));
}

/** A strength on the Elo-like scale Chatbot Arena reports: 1000 + 400 · log10(p). */
export function eloScale(strength: number): number {
  return 1000 + 400 * Math.log10(strength);
}

/** Ranks by strength, 1 the strongest; equal strengths share the better rank. */
export function ranks(strengths: Strengths): Map<string, number> {
  const entries = [...strengths.entries()];
  return new Map(entries.map(([s, v]) => [s, 1 + entries.filter(([, w]) => w > v + 1e-12).length]));
}

export interface BradleyTerryRating {
  system: string;
  strength: number;
  /** {@link eloScale} of the strength. */
  rating: number;
  rating_ci95: [number, number] | null;
  rank: number;
  /** The 2.5% and 97.5% quantiles of the system's rank over the bootstrap replicates. */
  rank_interval: [number, number] | null;
}

export interface BradleyTerryFit {
  systems: number;
  battles: number;
  /** False when no finite fit exists (some system never lost, or never won): no ratings then. */
  identifiable: boolean;
  ratings: BradleyTerryRating[];
  /** Replicates whose resample had no finite fit (dropped from the intervals). */
  bootstrap_dropped: number;
  seed: number;
  replicates: number;
}

/**
 * Bradley–Terry ratings of every system in the pairs, with percentile-bootstrap CIs over tasks
 * (each replicate refits on resampled tasks) on the ratings and on the ranks. Seeded.
 */
export function bradleyTerryRatings(
  pairs: readonly PairObservation[],
  options: BootstrapOptions = {},
): BradleyTerryFit {
  const seed = options.seed ?? 0;
  const replicates = options.replicates ?? 2000;
  const decided = pairs.filter((p) => p.outcome !== 'inconsistent' && p.a !== p.b);
  const systems = [...new Set(decided.flatMap((p) => [p.a, p.b]))].sort();
  const battles = battlesOf(decided);
  const fit = bradleyTerry(systems, battles);
  const base = { systems: systems.length, battles: battles.length, seed, replicates };
  if (!fit) return { ...base, identifiable: false, ratings: [], bootstrap_dropped: 0 };
  const draws = bootstrapGroups(
    byTask(decided),
    (items) => {
      const refit = bradleyTerry(systems, battlesOf(items), 1e-8, 10_000);
      return refit ? { strengths: refit, ranks: ranks(refit) } : null;
    },
    { seed, replicates },
  );
  const fitted = draws.filter((d): d is NonNullable<typeof d> => d !== null);
  const rankOf = ranks(fit);
  const ratings = systems
    .map((system) => {
      const strength = fit.get(system) ?? 1;
      const boot = fitted.map((d) => eloScale(d.strengths.get(system) ?? 1));
      const bootRanks = fitted.map((d) => d.ranks.get(system) ?? systems.length);
      return {
        system,
        strength,
        rating: eloScale(strength),
        rating_ci95: percentileInterval(boot),
        rank: rankOf.get(system) ?? systems.length,
        rank_interval:
          bootRanks.length === 0
            ? null
            : ([quantile(bootRanks, 0.025), quantile(bootRanks, 0.975)] as [number, number]),
      };
    })
    .sort((x, y) => x.rank - y.rank || x.system.localeCompare(y.system));
  return { ...base, identifiable: true, ratings, bootstrap_dropped: draws.length - fitted.length };
}
