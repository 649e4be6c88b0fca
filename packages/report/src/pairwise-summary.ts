import type { BootstrapOptions } from './bootstrap.ts';
import { type BradleyTerryFit, bradleyTerryRatings } from './bradley-terry.ts';
import { type PairObservation, pairObservations } from './pair-observations.ts';
import type { ExportRecord } from './run-records.ts';
import { type WinRate, winRate } from './win-rate.ts';

/** The pairwise figures of a run (`gavel report` and `gavel report --json` show them for pair runs). */
export interface PairwiseSummary {
  /** Pair records with a pairwise verdict. */
  pairs: number;
  outcomes: { a: number; b: number; tie: number; inconsistent: number };
  /**
   * Judge health: the share of pairs whose two orders agreed (before any arbiter). A judge that
   * follows the position instead of the content scores near 0 here.
   */
  position_consistency: { judged: number; consistent: number; rate: number | null };
  /** Settled by the arbiter (outcomes above are the final ones). */
  decided_by_arbiter: number;
  /**
   * Arbiter health: of the pairs the arbiter judged in both orders, those whose two orders agreed.
   * A disagreeing pair stays `inconsistent` (not a win), its two answers recorded.
   */
  arbiter_position_consistency: { asked: number; consistent: number; rate: number | null };
  /** One entry per (A system, B system) combination in the run. */
  win_rates: WinRate[];
  /** With more than two systems: the Bradley–Terry ranking. */
  bradley_terry: BradleyTerryFit | null;
}

/** The pairwise figures over a run's export records. */
export function pairwiseSummary(
  records: readonly ExportRecord[],
  options: BootstrapOptions = {},
): PairwiseSummary | null {
  const pairs = pairObservations(records);
  if (pairs.length === 0) return null;
  const decidedByArbiter = records.filter(
    (r) => r.kind === 'pair' && r.verdict?.pairwise?.decided_by === 'arbiter',
  ).length;
  const consistent = pairs.filter((p) => p.consistent).length;
  const arbiterAsked = records.filter((r) => r.kind === 'pair' && r.verdict?.pairwise?.arbiter_orders);
  const arbiterConsistent = arbiterAsked.filter((r) => r.verdict?.pairwise?.arbiter_consistent === true).length;
  const combos = new Map<string, PairObservation[]>();
  for (const p of pairs) {
    const key = JSON.stringify([p.a, p.b]);
    const list = combos.get(key);
    if (list) list.push(p);
    else combos.set(key, [p]);
  }
  const systems = new Set(pairs.flatMap((p) => [p.a, p.b]));
  return {
    pairs: pairs.length,
    outcomes: {
      a: pairs.filter((p) => p.outcome === 'a').length,
      b: pairs.filter((p) => p.outcome === 'b').length,
      tie: pairs.filter((p) => p.outcome === 'tie').length,
      inconsistent: pairs.filter((p) => p.outcome === 'inconsistent').length,
    },
    position_consistency: { judged: pairs.length, consistent, rate: consistent / pairs.length },
    decided_by_arbiter: decidedByArbiter,
    arbiter_position_consistency: {
      asked: arbiterAsked.length,
      consistent: arbiterConsistent,
      rate: arbiterAsked.length === 0 ? null : arbiterConsistent / arbiterAsked.length,
    },
    win_rates: [...combos.values()].map((list) => winRate(list, options)),
    bradley_terry: systems.size > 2 ? bradleyTerryRatings(pairs, options) : null,
  };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const range = (ci: [number, number] | null, f: (x: number) => string) =>
  ci === null ? 'n/a' : `${f(ci[0])} – ${f(ci[1])}`;

/** The pairwise figures as `gavel report` prints them. */
export function formatPairwiseSummary(s: PairwiseSummary): string {
  const lines = [
    `pairs: ${s.pairs} (A ${s.outcomes.a}, B ${s.outcomes.b}, tie ${s.outcomes.tie}, inconsistent ${s.outcomes.inconsistent}; ${s.decided_by_arbiter} settled by the arbiter)`,
    `position consistency (judge health): ${pct(s.position_consistency.rate)} (${s.position_consistency.consistent}/${s.position_consistency.judged} pairs gave the same preference in both orders)`,
  ];
  const arb = s.arbiter_position_consistency;
  if (arb.asked > 0) {
    lines.push(
      `arbiter position consistency: ${pct(arb.rate)} (${arb.consistent}/${arb.asked} pairs it judged in both orders gave the same preference; the others stay inconsistent)`,
    );
  }
  for (const w of s.win_rates) {
    lines.push(
      `win rate of ${w.b} (B) over ${w.a} (A): ${pct(w.win_rate)} [95% CI ${range(w.win_rate_ci95, pct)}, bootstrap over tasks, seed ${w.seed}] over ${w.decided} decided pairs (B ${w.wins_b}, A ${w.wins_a}, tie ${w.ties}; ${w.inconsistent} inconsistent not counted); sign test p = ${w.sign_test.p_value.toPrecision(3)}`,
      `  by length of B vs A: ${w.by_length.map((b) => `${b.bucket.replace('_', ' ')} ${pct(b.win_rate)} (n=${b.decided})`).join(', ')}; the longer output won ${pct(w.longer_preferred.rate)} of ${w.longer_preferred.pairs} decisive pairs of unequal length`,
    );
  }
  const bt = s.bradley_terry;
  if (bt) {
    if (!bt.identifiable) {
      lines.push(
        `Bradley–Terry: no finite fit over ${bt.systems} systems (some system never lost or never won a decided pair)`,
      );
    } else {
      lines.push(`Bradley–Terry over ${bt.systems} systems, ${bt.battles} decided pairs (rating 1000 + 400·log10 p):`);
      for (const r of bt.ratings) {
        lines.push(
          `  ${r.rank}. ${r.system}: ${r.rating.toFixed(0)} [95% CI ${range(r.rating_ci95, (x) => x.toFixed(0))}], rank interval ${range(r.rank_interval, String)}`,
        );
      }
    }
  }
  return lines.join('\n');
}
