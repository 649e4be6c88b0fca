import { type PairedDelta, pairedDelta } from './paired-delta.ts';
import type { GradedPair } from './pairing.ts';

/** One rubric criterion's mean score in both runs and the paired delta, over the pairs scored on it in both. */
export interface CriterionDelta extends PairedDelta {
  id: string;
}

/**
 * Per-criterion mean deltas with 95% CIs, paired by criterion id: a pair counts for a criterion when
 * both verdicts scored it. Criteria are listed in order of first appearance in the base run.
 */
export function criteriaDeltas(pairs: readonly GradedPair[]): CriterionDelta[] {
  const series = new Map<string, { base: number[]; candidate: number[]; clusters: string[] }>();
  const order: string[] = [];
  for (const pair of pairs) {
    const candidate = new Map(pair.candidate.verdict.criteria.map((c) => [c.id, c.score]));
    for (const criterion of pair.base.verdict.criteria) {
      const other = candidate.get(criterion.id);
      if (other === undefined) continue;
      let s = series.get(criterion.id);
      if (!s) {
        s = { base: [], candidate: [], clusters: [] };
        series.set(criterion.id, s);
        order.push(criterion.id);
      }
      s.base.push(criterion.score);
      s.candidate.push(other);
      s.clusters.push(pair.task_id);
    }
  }
  return order.map((id) => {
    const s = series.get(id) as { base: number[]; candidate: number[]; clusters: string[] };
    return { id, ...pairedDelta(s.base, s.candidate, s.clusters) };
  });
}
