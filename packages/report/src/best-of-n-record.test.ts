import { describe, expect, it } from 'vitest';
import { type BestOfNTaskChoice, bestOfNSummary, formatBestOfNSummary, sampleBestOfN } from './best-of-n-record.ts';

const ranked = (sample_id: string, system: string, score: number | null, rank: number) => ({
  sample_id,
  system,
  score,
  rank,
});

// Three contenders in a round robin: c1–c2 won by c2 (b), c1–c3 a tie, c2–c3 inconsistent; c4 out of range.
const choice: BestOfNTaskChoice = {
  task_id: 't',
  ranking: [
    ranked('c1', 'm1', 0.9, 1),
    ranked('c2', 'm2', 0.85, 2),
    ranked('c3', 'm3', 0.82, 3),
    ranked('c4', 'm4', 0.1, 4),
  ],
  contenders: ['c1', 'c2', 'c3'],
  tournament: [
    { a: 'c1', b: 'c2', outcome: 'b' },
    { a: 'c1', b: 'c3', outcome: 'tie' },
    { a: 'c2', b: 'c3', outcome: 'inconsistent' },
  ],
  points: { c1: 0.5, c2: 1, c3: 0.5 },
  chosen: ranked('c2', 'm2', 0.85, 2),
  decided_by: 'tournament',
};

describe("a candidate's side of its task's best-of-n choice", () => {
  it('gives each match from its own side and its points; a non-contender has none', () => {
    const info = { tournament_run: 'r-tournament' };
    expect(sampleBestOfN(choice, 'c1', info)).toEqual({
      rank: 1,
      score: 0.9,
      contender: true,
      points: 0.5,
      chosen: false,
      decided_by: 'tournament',
      matches: [
        { opponent: 'c2', result: 'loss' },
        { opponent: 'c3', result: 'tie' },
      ],
      tournament_run: 'r-tournament',
    });
    expect(sampleBestOfN(choice, 'c2', info)?.matches).toEqual([
      { opponent: 'c1', result: 'win' },
      { opponent: 'c3', result: 'inconsistent' },
    ]);
    expect(sampleBestOfN(choice, 'c2', info)?.chosen).toBe(true);
    expect(sampleBestOfN(choice, 'c4', info)).toMatchObject({ contender: false, points: null, matches: [] });
    expect(sampleBestOfN(choice, 'nope', info)).toBeUndefined();
  });

  it("counts the run's choices and match outcomes", () => {
    const clear: BestOfNTaskChoice = {
      task_id: 'u',
      ranking: [ranked('d1', 'm1', 1, 1), ranked('d2', 'm2', 0.2, 2)],
      contenders: ['d1'],
      tournament: [],
      points: { d1: 0 },
      chosen: ranked('d1', 'm1', 1, 1),
      decided_by: 'pointwise',
    };
    const info = { tournament_run: 'r-tournament', margin: 0.1, top: 3, decided_at: 'x', tasks: ['t', 'u'] };
    const s = bestOfNSummary(info, [choice, clear]);
    expect(s.decided_by).toEqual({ pointwise: 1, tournament: 1, none: 0 });
    expect(s.matches).toEqual({ a: 0, b: 1, tie: 1, inconsistent: 1, missing: 0 });
    expect(s.chosen_by_system).toEqual({ m1: 1, m2: 1 });
    expect(formatBestOfNSummary(s)).toEqual([
      'best-of-n (margin 0.1, top 3, tournament run r-tournament): 2 task(s), 1 decided by the tournament, 1 by pointwise score, 0 without a candidate',
      '  tournament matches: 3 (better-ranked won 0, other won 1, tie 1, inconsistent 1, missing 0); chosen by system: m1 1, m2 1',
      '  t: c2 (m2, score 0.850, rank 2) by tournament; points c1 0.5, c2 1, c3 0.5',
      '  u: d1 (m1, score 1.000, rank 1) by pointwise',
    ]);
  });
});
