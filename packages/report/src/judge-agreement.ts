import type { CriterionScore } from '@gavel/core';

/** One LLM-judged sample asked again of the pinned judge: what was recorded and what came back. */
export interface JudgeRecheck {
  sample_id: string;
  recorded: { pass: boolean; score: number; criteria: readonly CriterionScore[] };
  rederived: { pass: boolean; score: number; criteria: readonly CriterionScore[] };
}

/** How far a re-asked judge agreed with its recorded answers (reported, never asserted). */
export interface JudgeAgreement {
  asked: number;
  /** Samples whose re-asked verdict (pass/fail) is the recorded one. */
  same_verdict: number;
  /** Samples whose re-asked answer has the same verdict, score and every criterion score. */
  identical: number;
  /** `same_verdict / asked` (null when nothing was asked). */
  agreement: number | null;
  /** Mean of |recorded score − re-asked score| (null when nothing was asked). */
  mean_abs_score_diff: number | null;
  /** The samples whose answer was not identical. */
  differing: {
    sample_id: string;
    recorded_pass: boolean;
    rederived_pass: boolean;
    recorded_score: number;
    rederived_score: number;
  }[];
}

function sameCriteria(a: readonly CriterionScore[], b: readonly CriterionScore[]): boolean {
  if (a.length !== b.length) return false;
  const scores = new Map(a.map((c) => [c.id, c.score]));
  return b.every((c) => scores.get(c.id) === c.score);
}

/** Sums up re-asked judge answers against the recorded ones. */
export function judgeAgreement(rechecks: readonly JudgeRecheck[]): JudgeAgreement {
  const differing: JudgeAgreement['differing'] = [];
  let sameVerdict = 0;
  let identical = 0;
  let absDiff = 0;
  for (const r of rechecks) {
    const same = r.recorded.pass === r.rederived.pass;
    if (same) sameVerdict += 1;
    absDiff += Math.abs(r.recorded.score - r.rederived.score);
    if (same && r.recorded.score === r.rederived.score && sameCriteria(r.recorded.criteria, r.rederived.criteria)) {
      identical += 1;
    } else {
      differing.push({
        sample_id: r.sample_id,
        recorded_pass: r.recorded.pass,
        rederived_pass: r.rederived.pass,
        recorded_score: r.recorded.score,
        rederived_score: r.rederived.score,
      });
    }
  }
  const asked = rechecks.length;
  return {
    asked,
    same_verdict: sameVerdict,
    identical,
    agreement: asked === 0 ? null : sameVerdict / asked,
    mean_abs_score_diff: asked === 0 ? null : absDiff / asked,
    differing,
  };
}

/**
 * `n` items spread evenly over `items` (index ⌊i·len/n⌋ for i < n), in order; all of them when
 * there are no more than `n`. Deterministic, so a re-check can be repeated on the same samples.
 */
export function pickEvenly<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return [...items];
  const picked: T[] = [];
  for (let i = 0; i < n; i += 1) picked.push(items[Math.floor((i * items.length) / n)] as T);
  return picked;
}
