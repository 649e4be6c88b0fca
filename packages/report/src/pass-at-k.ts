/**
 * The unbiased estimator of pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on
 * Code", §2.1 and Figure 3): with n samples of a task of which c pass,
 *
 *   pass@k = 1 − C(n − c, k) / C(n, k),
 *
 * the probability that at least one of k samples drawn without replacement from the n passes. The
 * binomials overflow a double long before n does (C(2000, 1000) ≈ 10⁶⁰⁰), so it is computed in the
 * numerically stable product form of the paper's Figure 3:
 *
 *   C(n − c, k) / C(n, k) = ∏_{i = n − c + 1}^{n} (1 − k / i),
 *
 * and is exactly 1 when n − c < k (every draw of k holds a passing sample).
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`passAtK: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(c) || c < 0 || c > n) {
    throw new Error(`passAtK: c must be an integer from 0 to n = ${n}, got ${c}`);
  }
  if (!Number.isInteger(k) || k <= 0 || k > n) {
    throw new Error(`passAtK: k must be an integer from 1 to n = ${n}, got ${k}`);
  }
  if (n - c < k) return 1;
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i++) allFail *= 1 - k / i;
  return 1 - allFail;
}

/** One task's samples: how many were drawn (`n`) and how many passed (`c`). */
export interface TaskPassCounts {
  readonly taskId: string;
  readonly n: number;
  readonly c: number;
}

/**
 * pass@k of a benchmark: the mean over tasks of each task's unbiased pass@k (Chen et al. 2021). Every
 * task must have at least k samples; a task with fewer has no estimate and is an error, not a zero.
 */
export function meanPassAtK(tasks: readonly TaskPassCounts[], k: number): number {
  if (tasks.length === 0) throw new Error('meanPassAtK: no tasks');
  let sum = 0;
  for (const task of tasks) {
    if (task.n < k) throw new Error(`meanPassAtK: task ${task.taskId} has ${task.n} samples, fewer than k = ${k}`);
    sum += passAtK(task.n, task.c, k);
  }
  return sum / tasks.length;
}

/**
 * Counts per task from per-sample outcomes: samples grouped by task id, `n` the samples of a task and
 * `c` those that passed. The order of tasks is the order they first appear.
 */
export function passCountsByTask(
  samples: Iterable<{ readonly taskId: string; readonly passed: boolean }>,
): TaskPassCounts[] {
  const byTask = new Map<string, { n: number; c: number }>();
  for (const sample of samples) {
    const counts = byTask.get(sample.taskId) ?? { n: 0, c: 0 };
    counts.n += 1;
    if (sample.passed) counts.c += 1;
    byTask.set(sample.taskId, counts);
  }
  return [...byTask].map(([taskId, { n, c }]) => ({ taskId, n, c }));
}
