import { describe, expect, it } from 'vitest';
import { type JudgeRecheck, judgeAgreement, pickEvenly } from './judge-agreement.ts';

const criteria = (score: number) => [{ id: 'correctness', score, finding: null }];
function recheck(id: string, recorded: [boolean, number], again: [boolean, number]): JudgeRecheck {
  return {
    sample_id: id,
    recorded: { pass: recorded[0], score: recorded[1], criteria: criteria(recorded[1]) },
    rederived: { pass: again[0], score: again[1], criteria: criteria(again[1]) },
  };
}

describe('judge agreement of re-asked samples', () => {
  it('counts same verdicts, identical answers and the mean absolute score difference', () => {
    const result = judgeAgreement([
      recheck('a', [true, 0.9], [true, 0.9]), // identical
      recheck('b', [true, 0.8], [true, 0.7]), // same verdict, score differs by 0.1
      recheck('c', [false, 0.2], [true, 0.7]), // flipped, differs by 0.5
      recheck('d', [false, 0.1], [false, 0.1]), // identical
    ]);
    expect(result.asked).toBe(4);
    expect(result.same_verdict).toBe(3);
    expect(result.identical).toBe(2);
    expect(result.agreement).toBe(0.75);
    // (0 + 0.1 + 0.5 + 0) / 4 = 0.15
    expect(result.mean_abs_score_diff).toBeCloseTo(0.15, 12);
    expect(result.differing.map((d) => d.sample_id)).toEqual(['b', 'c']);
  });

  it('a different criterion score makes an answer not identical even with the same verdict and score', () => {
    const r = recheck('a', [true, 0.9], [true, 0.9]);
    r.rederived = { ...r.rederived, criteria: [{ id: 'correctness', score: 0.5, finding: null }] };
    expect(judgeAgreement([r])).toMatchObject({ same_verdict: 1, identical: 0 });
  });

  it('reports nothing asked as null agreement', () => {
    expect(judgeAgreement([])).toMatchObject({ asked: 0, agreement: null, mean_abs_score_diff: null });
  });
});

describe('picking samples evenly', () => {
  it('takes index ⌊i·len/n⌋', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    // len 10, n 4: 0, 2.5→2, 5, 7.5→7
    expect(pickEvenly(items, 4)).toEqual(['a', 'c', 'f', 'h']);
    expect(pickEvenly(items, 1)).toEqual(['a']);
  });

  it('takes everything when asked for at least as many as there are', () => {
    expect(pickEvenly(['a', 'b'], 5)).toEqual(['a', 'b']);
  });
});
