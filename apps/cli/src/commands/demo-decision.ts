import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareRuns, formatComparison, reviewComparisonView, reviewHtml } from '@gavel/report';
import { dockerClient, loadSandboxConfig } from '@gavel/sandbox';
import { openContext } from '../context.ts';
import { loadRunRecords } from '../run-records-source.ts';
import { verifyRun } from '../verify/verify-run.ts';

/** What the demo's day ends with: the comparison's decision line and the review matrix to open. */
export interface DemoDecision {
  /** The line `gavel compare` ends with: `decision: <outcome> — <reason>`. */
  decisionLine: string;
  regressions: string[];
  fixes: string[];
  comparisonPath: string;
  reviewPath: string;
  /** `gavel verify CANDIDATE`: facts-only verdicts re-derived, and the mismatches found (none, unless forged). */
  verified: { rederived: number; mismatches: number; exitCode: number };
}

/**
 * Compares the base and the candidate run (`gavel compare`'s figures, written as text and JSON to
 * `compare-<base>-<candidate>.txt|.json` in `outDir`), writes the candidate's review matrix against the base
 * (`gavel review CANDIDATE --against BASE`), and re-derives the candidate's verdicts (`gavel verify`).
 */
export async function demoDecision(
  baseRun: string,
  candidateRun: string,
  outDir: string,
  rubricsDir: string,
): Promise<DemoDecision> {
  const context = openContext();
  let base: Awaited<ReturnType<typeof loadRunRecords>>;
  let candidate: Awaited<ReturnType<typeof loadRunRecords>>;
  let verified: DemoDecision['verified'];
  try {
    base = await loadRunRecords(context, baseRun);
    candidate = await loadRunRecords(context, candidateRun);
    const report = await verifyRun(context, candidateRun, {
      rubricsDir,
      env: process.env,
      docker: dockerClient(loadSandboxConfig(process.env).dockerHost),
    });
    verified = {
      rederived: report.samples.facts_only_rederived,
      mismatches: report.mismatches.length,
      exitCode: report.exit_code,
    };
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
    verified,
  };
}
