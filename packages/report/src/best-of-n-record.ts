import { z } from 'zod';
import type { BestOfNChoice } from './best-of-n.ts';

const Ranked = z.object({
  sample_id: z.string(),
  system: z.string(),
  score: z.number().nullable(),
  rank: z.number().int().positive(),
});

const Outcome = z.enum(['a', 'b', 'tie', 'inconsistent', 'missing']);

/** One task's best-of-n choice as `gavel best-of-n` records it with the run (and writes to its JSONL file). */
export const BestOfNTaskChoice = z.object({
  task_id: z.string(),
  ranking: z.array(Ranked),
  contenders: z.array(z.string()),
  tournament: z.array(z.object({ a: z.string(), b: z.string(), outcome: Outcome })),
  points: z.record(z.string(), z.number()),
  chosen: Ranked.nullable(),
  decided_by: z.enum(['pointwise', 'tournament', 'none']),
}) satisfies z.ZodType<BestOfNChoice & { task_id: string }>;
export type BestOfNTaskChoice = z.infer<typeof BestOfNTaskChoice>;

/** How a run's best-of-n was made: the tournament run and the options. */
export const BestOfNRunInfo = z.object({
  tournament_run: z.string().nullable(),
  margin: z.number(),
  top: z.number().int().positive(),
  decided_at: z.string(),
  /** The tasks with a choice, in the run's order. */
  tasks: z.array(z.string()),
});
export type BestOfNRunInfo = z.infer<typeof BestOfNRunInfo>;

/** What `gavel export` adds to each candidate sample of a task with a best-of-n choice. */
export const SampleBestOfN = z.object({
  /** Rank by pointwise score within its task (1 the best). */
  rank: z.number().int().positive(),
  score: z.number().nullable(),
  /** Whether it was close enough to the best to play in the tournament. */
  contender: z.boolean(),
  /** Tournament points (a win 1, a tie ½); null when it did not play. */
  points: z.number().nullable(),
  chosen: z.boolean(),
  /** How its task's choice was made. */
  decided_by: z.enum(['pointwise', 'tournament', 'none']),
  /** Its matches, from its own side: `win`, `loss`, `tie`, `inconsistent` (the orders disagreed) or `missing`. */
  matches: z.array(
    z.object({ opponent: z.string(), result: z.enum(['win', 'loss', 'tie', 'inconsistent', 'missing']) }),
  ),
  tournament_run: z.string().nullable(),
});
export type SampleBestOfN = z.infer<typeof SampleBestOfN>;

/** One candidate sample's side of its task's choice; undefined when the sample is not in it. */
export function sampleBestOfN(
  choice: BestOfNTaskChoice,
  sampleId: string,
  info: Pick<BestOfNRunInfo, 'tournament_run'>,
): SampleBestOfN | undefined {
  const ranked = choice.ranking.find((r) => r.sample_id === sampleId);
  if (!ranked) return undefined;
  const contender = choice.contenders.includes(sampleId);
  const matches = choice.tournament
    .filter((m) => m.a === sampleId || m.b === sampleId)
    .map((m) => {
      const side = m.a === sampleId ? 'a' : 'b';
      const opponent = side === 'a' ? m.b : m.a;
      const result = m.outcome === 'a' || m.outcome === 'b' ? (m.outcome === side ? 'win' : 'loss') : m.outcome;
      return { opponent, result } as const;
    });
  return {
    rank: ranked.rank,
    score: ranked.score,
    contender,
    points: contender ? (choice.points[sampleId] ?? 0) : null,
    chosen: choice.chosen?.sample_id === sampleId,
    decided_by: choice.decided_by,
    matches,
    tournament_run: info.tournament_run,
  };
}

/** `gavel report`'s best-of-n figures. */
export interface BestOfNSummary {
  info: BestOfNRunInfo;
  tasks: number;
  decided_by: Record<'pointwise' | 'tournament' | 'none', number>;
  /** Tournament matches by outcome (`a` is the better-ranked contender). */
  matches: Record<z.infer<typeof Outcome>, number>;
  /** How many tasks each system's candidate was chosen for. */
  chosen_by_system: Record<string, number>;
  choices: Array<{
    task_id: string;
    sample_id: string | null;
    system: string | null;
    score: number | null;
    rank: number | null;
    decided_by: string;
    points: Record<string, number>;
  }>;
}

export function bestOfNSummary(info: BestOfNRunInfo, choices: readonly BestOfNTaskChoice[]): BestOfNSummary {
  const decided_by = { pointwise: 0, tournament: 0, none: 0 };
  const matches = { a: 0, b: 0, tie: 0, inconsistent: 0, missing: 0 };
  const chosen_by_system: Record<string, number> = {};
  for (const c of choices) {
    decided_by[c.decided_by] += 1;
    for (const m of c.tournament) matches[m.outcome] += 1;
    if (c.chosen) chosen_by_system[c.chosen.system] = (chosen_by_system[c.chosen.system] ?? 0) + 1;
  }
  return {
    info,
    tasks: choices.length,
    decided_by,
    matches,
    chosen_by_system,
    choices: choices.map((c) => ({
      task_id: c.task_id,
      sample_id: c.chosen?.sample_id ?? null,
      system: c.chosen?.system ?? null,
      score: c.chosen?.score ?? null,
      rank: c.chosen?.rank ?? null,
      decided_by: c.decided_by,
      points: c.points,
    })),
  };
}

/** The best-of-n lines of `gavel report`. */
export function formatBestOfNSummary(s: BestOfNSummary): string[] {
  const m = s.matches;
  const systems = Object.entries(s.chosen_by_system)
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .map(([system, n]) => `${system} ${n}`)
    .join(', ');
  return [
    `best-of-n (margin ${s.info.margin}, top ${s.info.top}${s.info.tournament_run ? `, tournament run ${s.info.tournament_run}` : ''}): ${s.tasks} task(s), ${s.decided_by.tournament} decided by the tournament, ${s.decided_by.pointwise} by pointwise score, ${s.decided_by.none} without a candidate`,
    `  tournament matches: ${m.a + m.b + m.tie + m.inconsistent + m.missing} (better-ranked won ${m.a}, other won ${m.b}, tie ${m.tie}, inconsistent ${m.inconsistent}, missing ${m.missing}); chosen by system: ${systems || 'none'}`,
    ...s.choices.map((c) => {
      const points = Object.entries(c.points)
        .map(([id, p]) => `${id} ${p}`)
        .join(', ');
      return `  ${c.task_id}: ${c.sample_id === null ? 'none' : `${c.sample_id} (${c.system}, score ${c.score === null ? '–' : c.score.toFixed(3)}, rank ${c.rank})`} by ${c.decided_by}${points && c.decided_by === 'tournament' ? `; points ${points}` : ''}`;
    }),
  ];
}
