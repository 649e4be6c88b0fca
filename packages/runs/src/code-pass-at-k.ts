import type { Facts, Sample, Verdict } from '@gavel/core';
import { meanPassAtK, passCountsByTask } from '@gavel/report';
import { type PassAtK, reportedKs } from './generation-report.ts';

/** pass@k over the code tasks of a run with several samples per task (not only generate runs). */
export interface CodePassAtK {
  /** Tasks with at least two executed code samples. */
  tasks: number;
  samples: number;
  /** The fewest and most samples of one task (pass@k is given for each k no larger than a task's n). */
  n_min: number;
  n_max: number;
  pass_at_k: PassAtK[];
}

/**
 * Whether a code sample solved its task, as Chen et al. (2021) count it: every test the eval expects
 * ran and passed (none failed or errored, no timeout). Judged from the facts, never from the judge.
 */
export function solvedByTests(facts: Facts): boolean {
  const t = facts.tests;
  return (
    t !== null && t.expected > 0 && t.passed === t.expected && t.failed === 0 && t.errors === 0 && !facts.timed_out
  );
}

/**
 * Whether a graded sample counts as solved for pass@k: a code sample whose tests ran is solved by its
 * tests (Chen et al.'s functional correctness: {@link solvedByTests}), whatever the judge said; any
 * other sample by its verdict. One definition for every run, generate runs included.
 */
export function solvedForPassAtK(sample: Pick<Sample, 'kind'>, facts: Facts | undefined, verdict: Verdict): boolean {
  return sample.kind === 'code' && facts?.tests ? solvedByTests(facts) : verdict.pass;
}

/**
 * pass@k for k = 1, 5, 10 (and n) over the tasks with n ≥ 2 executed code samples, each k over the
 * tasks with at least k samples, with the unbiased estimator (see `passAtK`). Null when no task has
 * two samples.
 */
export function codePassAtK(samples: Iterable<{ taskId: string; facts: Facts }>): CodePassAtK | null {
  const outcomes = [...samples].map((s) => ({ taskId: s.taskId, passed: solvedByTests(s.facts) }));
  const tasks = passCountsByTask(outcomes).filter((t) => t.n >= 2);
  if (tasks.length === 0) return null;
  const ns = tasks.map((t) => t.n);
  const nMax = Math.max(...ns);
  const pass_at_k: PassAtK[] = [];
  for (const k of reportedKs(nMax)) {
    const eligible = tasks.filter((t) => t.n >= k);
    if (eligible.length > 0) pass_at_k.push({ k, value: meanPassAtK(eligible, k), tasks: eligible.length });
  }
  return {
    tasks: tasks.length,
    samples: tasks.reduce((sum, t) => sum + t.n, 0),
    n_min: Math.min(...ns),
    n_max: nMax,
    pass_at_k,
  };
}
