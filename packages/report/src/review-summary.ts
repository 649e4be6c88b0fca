import { clusteredMean } from './clustered-mean.ts';
import { ci95 } from './normal.ts';
import { verdictLabel } from './review-matrix.ts';
import type { RunRecords } from './run-records.ts';
import type { BarItem } from './svg-charts.ts';

/** The headline figures of one run, as the review page's header and charts show them. */
export interface RunSummary {
  samples: number;
  graded: number;
  passed: number;
  errors: number;
  pending: number;
  /** Pass rate over the graded samples, its SE clustered by task, and its 95% CI. */
  pass_rate: number | null;
  pass_rate_se: number | null;
  pass_rate_ci95: [number, number] | null;
  mean_score: number | null;
  routed: number;
  arbitrated: number;
  overturned: number;
  scores: number[];
  /** Mean score per criterion over the verdicts that scored it, in first-seen order. */
  criteria: BarItem[];
  /** Pass rate of the samples the judge kept (`final`) and of those it routed (`arbiter`). */
  by_route: BarItem[];
}

function meanItem(label: string, values: readonly number[]): BarItem {
  return { label, value: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0, n: values.length };
}

/** Counts, the pass rate (clustered by task), mean score, per-criterion means and pass rate by route. */
export function runSummary(run: RunRecords): RunSummary {
  const passes: number[] = [];
  const clusters: string[] = [];
  const scores: number[] = [];
  const criteria = new Map<string, number[]>();
  const byRoute = new Map<string, number[]>([
    ['final', []],
    ['arbiter', []],
  ]);
  let errors = 0;
  let pending = 0;
  let routed = 0;
  let arbitrated = 0;
  let overturned = 0;
  for (const record of run.records) {
    const label = verdictLabel(record);
    if (label === 'error') errors += 1;
    if (label === 'pending') pending += 1;
    if ((record.judge_verdict ?? record.verdict)?.route === 'arbiter') routed += 1;
    const verdict = record.verdict;
    if (!verdict) continue;
    passes.push(verdict.pass ? 1 : 0);
    clusters.push(record.task_id ?? record.sample_id);
    scores.push(verdict.score);
    byRoute.get(verdict.route)?.push(verdict.pass ? 1 : 0);
    for (const c of verdict.criteria) {
      const list = criteria.get(c.id) ?? [];
      list.push(c.score);
      criteria.set(c.id, list);
    }
    if (verdict.arbitration === 'done') {
      arbitrated += 1;
      const judged = verdict.judge_verdict?.pass ?? record.judge_verdict?.pass;
      if (judged !== undefined && judged !== verdict.pass) overturned += 1;
    }
  }
  const rate = clusteredMean(passes, clusters);
  return {
    samples: run.records.length,
    graded: passes.length,
    passed: passes.filter((p) => p === 1).length,
    errors,
    pending,
    pass_rate: rate.mean,
    pass_rate_se: rate.se,
    pass_rate_ci95: ci95(rate.mean, rate.se),
    mean_score: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
    routed,
    arbitrated,
    overturned,
    scores,
    criteria: [...criteria].map(([id, values]) => meanItem(id, values)),
    by_route: [...byRoute].map(([route, values]) => meanItem(route, values)),
  };
}
