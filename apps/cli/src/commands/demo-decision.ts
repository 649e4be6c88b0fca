import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareRuns, formatComparison, reviewComparisonView, reviewHtml } from '@gavel/report';
import { openContext } from '../context.ts';
import { loadRunRecords } from '../run-records-source.ts';

/** What the demo's day ends with: the comparison's decision line and the review matrix to open. */
export interface DemoDecision {
  /** The line `gavel compare` ends with: `decision: <outcome> — <reason>`. */
  decisionLine: string;
  regressions: string[];
  fixes: string[];
  comparisonPath: string;
  reviewPath: string;
}

/**
 * Compares the base and the candidate run (`gavel compare`'s figures, written to `comparison.txt`
 * and `comparison.json` in `outDir`) and writes the candidate's review matrix against the base
 * (`gavel review CANDIDATE --against BASE`).
 */
export async function demoDecision(baseRun: string, candidateRun: string, outDir: string): Promise<DemoDecision> {
  const context = openContext();
  let base: Awaited<ReturnType<typeof loadRunRecords>>;
  let candidate: Awaited<ReturnType<typeof loadRunRecords>>;
  try {
    base = await loadRunRecords(context, baseRun);
    candidate = await loadRunRecords(context, candidateRun);
  } finally {
    await context.close();
  }
  const comparison = compareRuns(base, candidate, {});
  const text = formatComparison(comparison);
  const comparisonPath = join(outDir, `compare-${baseRun}-${candidateRun}.txt`);
  await writeFile(comparisonPath, text);
  await writeFile(comparisonPath.replace(/\.txt$/, '.json'), `${JSON.stringify(comparison, null, 2)}\n`);
  const reviewPath = join(outDir, `review-${candidateRun}.html`);
  await writeFile(
    reviewPath,
    reviewHtml({ run: candidate, comparison: reviewComparisonView(base, candidate, comparison) }),
  );
  const decisionLine = text.split('\n').find((l) => /^(\[not like-for-like\] )?decision: /.test(l)) ?? '';
  return {
    decisionLine,
    regressions: comparison.regressions.map((r) => r.task_id),
    fixes: comparison.fixes.map((f) => f.task_id),
    comparisonPath,
    reviewPath,
  };
}
