/**
 * Best-of-n over candidates of one prompt: rank by pointwise score, then settle the top candidates
 * whose scores are close by a pairwise round robin (each pair judged in both orders elsewhere;
 * here only its outcome counts). Pure functions; `gavel best-of-n` wires them to runs.
 */

export interface Candidate {
  sample_id: string;
  /** The system that wrote it (its model). */
  system: string;
  /** Pointwise score; null when the sample has no verdict (it is ranked last and never chosen). */
  score: number | null;
}

export interface BestOfNOptions {
  /** Candidates within this many score points of the best contend in the tournament. @default 0.1 */
  margin: number;
  /** At most this many contenders. @default 3 */
  top: number;
}

export const BEST_OF_N_DEFAULTS: BestOfNOptions = { margin: 0.1, top: 3 };

export interface RankedCandidate extends Candidate {
  /** 1-based rank by pointwise score (higher first; equal scores keep their order). */
  rank: number;
}

/** One tournament match: `a` the better-ranked contender. */
export interface Match {
  a: string;
  b: string;
}

export interface Plan {
  ranking: RankedCandidate[];
  contenders: string[];
  matches: Match[];
}

/** Ranks the candidates and picks the contenders (score ≥ best − margin, at most `top`) and their round robin. */
export function planBestOfN(candidates: readonly Candidate[], options: BestOfNOptions = BEST_OF_N_DEFAULTS): Plan {
  const ranking = candidates
    .map((c, i) => ({ c, i }))
    .sort((x, y) => (y.c.score ?? Number.NEGATIVE_INFINITY) - (x.c.score ?? Number.NEGATIVE_INFINITY) || x.i - y.i)
    .map(({ c }, k) => ({ ...c, rank: k + 1 }));
  const best = ranking[0]?.score;
  const contenders =
    best === null || best === undefined
      ? []
      : ranking
          .filter((c) => c.score !== null && c.score >= best - options.margin - 1e-12)
          .slice(0, Math.max(1, options.top))
          .map((c) => c.sample_id);
  const matches: Match[] = [];
  for (let i = 0; i < contenders.length; i += 1)
    for (let j = i + 1; j < contenders.length; j += 1)
      matches.push({ a: contenders[i] as string, b: contenders[j] as string });
  return { ranking, contenders, matches };
}

export type MatchOutcome = 'a' | 'b' | 'tie' | 'inconsistent';

export interface BestOfNChoice {
  ranking: RankedCandidate[];
  contenders: string[];
  /** Each match with its outcome (`missing` when it has no verdict) and the points it gave. */
  tournament: (Match & { outcome: MatchOutcome | 'missing' })[];
  /** Tournament points per contender: a win 1, a tie ½ each; an inconsistent or missing match none. */
  points: Record<string, number>;
  chosen: RankedCandidate | null;
  /** `pointwise`: one contender, or no match decided; `tournament`: the most points (equal points: the better rank). */
  decided_by: 'pointwise' | 'tournament' | 'none';
}

/** The best-of-n choice from a plan and its matches' outcomes (by `a`/`b` sample ids). */
export function chooseBestOfN(plan: Plan, outcome: (m: Match) => MatchOutcome | undefined): BestOfNChoice {
  const points: Record<string, number> = Object.fromEntries(plan.contenders.map((id) => [id, 0]));
  let decided = 0;
  const tournament = plan.matches.map((m) => {
    const o = outcome(m);
    if (o === 'a' || o === 'b') points[o === 'a' ? m.a : m.b] = (points[o === 'a' ? m.a : m.b] ?? 0) + 1;
    if (o === 'tie') {
      points[m.a] = (points[m.a] ?? 0) + 0.5;
      points[m.b] = (points[m.b] ?? 0) + 0.5;
    }
    if (o && o !== 'inconsistent') decided += 1;
    return { ...m, outcome: o ?? ('missing' as const) };
  });
  const byRank = plan.ranking.filter((c) => plan.contenders.includes(c.sample_id));
  if (byRank.length === 0)
    return { ranking: plan.ranking, contenders: [], tournament, points, chosen: null, decided_by: 'none' };
  if (decided === 0)
    return {
      ranking: plan.ranking,
      contenders: plan.contenders,
      tournament,
      points,
      chosen: byRank[0] ?? null,
      decided_by: 'pointwise',
    };
  const chosen = byRank.reduce((best, c) => ((points[c.sample_id] ?? 0) > (points[best.sample_id] ?? 0) ? c : best));
  return { ranking: plan.ranking, contenders: plan.contenders, tournament, points, chosen, decided_by: 'tournament' };
}
