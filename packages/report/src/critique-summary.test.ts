import type { Verdict } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { critiqueSummary } from './critique-summary.ts';

const answer = (pass: boolean, score: number) => ({ pass, score, rationale: 'r', criteria: [] });

function judged(original: boolean, passes: [boolean, number][], source: Verdict['source'] = 'judge'): Verdict {
  const last = passes.at(-1) as [boolean, number];
  let before = original;
  let beforeScore = original ? 1 : 0;
  return {
    ...answer(last[0], last[1]),
    source,
    facts_only: false,
    route: 'final',
    route_reasons: [],
    arbitration: 'none',
    flags: [],
    grader: null,
    consistency: null,
    arbiter: null,
    judge_verdict: null,
    usage: null,
    critique: {
      original: answer(original, original ? 1 : 0),
      passes: passes.map(([pass, score]) => {
        const changed = pass !== before || score !== beforeScore;
        before = pass;
        beforeScore = score;
        return { ...answer(pass, score), changed };
      }),
      flipped: last[0] !== original,
    },
    decided_at: '',
  };
}

const arbiter = (pass: boolean): Verdict => ({
  ...judged(pass, [[pass, pass ? 1 : 0]]),
  source: 'arbiter',
  critique: undefined,
});

describe('the critique summary', () => {
  it('counts flips, changes and how the arbiter settled the flips, by hand', () => {
    const samples = [
      // 1: confirmed unchanged; 2: score revised, verdict kept; 3–5: flipped.
      { judgement: judged(true, [[true, 1]]) },
      { judgement: judged(true, [[true, 0.7]]) },
      // 3: flipped to fail; the arbiter says fail (sides with the revision).
      { judgement: judged(true, [[false, 0.2]]), verdict: arbiter(false) },
      // 4: flipped to pass; the arbiter says fail (sides with the original).
      { judgement: judged(false, [[true, 0.9]]), verdict: arbiter(false) },
      // 5: flipped to pass over two passes, no arbiter (unarbitrated).
      {
        judgement: judged(false, [
          [true, 0.8],
          [true, 0.8],
        ]),
      },
      // 6: no chain at all.
      { judgement: { ...judged(true, [[true, 1]]), critique: undefined } },
    ];
    // chains 5; flipped 3 (3, 4, 5) → 3/5; changed 4 (2, 3, 4, 5) → 4/5; arbitrated flips 2, sided 1 → 1/2.
    expect(critiqueSummary(samples)).toEqual({
      chains: 5,
      flipped: 3,
      flip_rate: 0.6,
      changed: 4,
      change_rate: 0.8,
      arbitrated_flips: 2,
      arbiter_sided_with_revision: 1,
      revision_agreement: 0.5,
    });
  });

  it('has no rates without chains', () => {
    expect(critiqueSummary([{ judgement: null }])).toMatchObject({
      chains: 0,
      flip_rate: null,
      revision_agreement: null,
    });
  });
});
