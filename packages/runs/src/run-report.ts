import { costReport } from '@gavel/arbiter';
import type { Facts, Verdict } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import {
  type BestOfNSummary,
  bestOfNSummary,
  type CritiqueSummary,
  critiqueSummary,
  type ExportRecord,
  type PairwiseSummary,
  pairwiseSummary,
  passCountsByTask,
} from '@gavel/report';
import { loadBestOfN } from './best-of-n-store.ts';
import { type CodePassAtK, codePassAtK, solvedForPassAtK } from './code-pass-at-k.ts';
import { exportRecord } from './export-record.ts';
import { type GenerationReport, generationReport } from './generation-report.ts';

/** `gavel report`'s figures: outcomes, routing, arbitration and the arbiter's cost. */
export interface RunReport {
  run_id: string;
  samples: number;
  verdicts: number;
  passed: number;
  failed_samples: number;
  failures_by_stage: Record<string, number>;
  verdict_sources: Record<string, number>;
  routed: number;
  route_reasons: Record<string, number>;
  arbitration: Record<string, number>;
  flags: Record<string, number>;
  arbiter_cost: Awaited<ReturnType<typeof costReport>>['total'];
  /** A run with pair samples: outcomes, position consistency, win rates, Bradley–Terry; else null. */
  pairwise: PairwiseSummary | null;
  /**
   * On a generate run: the SUT's completions, their cost, and pass@k over tasks (a code sample solved
   * by its tests, any other by its verdict: see `solvedForPassAtK`).
   */
  generation: GenerationReport | null;
  /** With GAVEL_JUDGE_CRITIQUE: how often the self-critique changed the verdict, and how the arbiter settled the flips. */
  critique: CritiqueSummary | null;
  /** A run `gavel best-of-n` ranked: its choices per task, how they were made, the tournament's outcomes. */
  best_of_n: BestOfNSummary | null;
  /** A run (other than a generate run) with several executed code samples per task: pass@k by the tests. */
  code_pass_at_k: CodePassAtK | null;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Reads a run's report from the run store, page by page. */
export async function runReport(store: RunStore, runId: string, options: { seed?: number } = {}): Promise<RunReport> {
  const manifest = await store.getManifest(runId);
  const pairs: ExportRecord[] = [];
  const report: RunReport = {
    run_id: runId,
    samples: 0,
    verdicts: 0,
    passed: 0,
    failed_samples: 0,
    failures_by_stage: {},
    verdict_sources: {},
    routed: 0,
    route_reasons: {},
    arbitration: {},
    flags: {},
    arbiter_cost: (await costReport(store, runId)).total,
    pairwise: null,
    generation: null,
    critique: null,
    best_of_n: null,
    code_pass_at_k: null,
  };
  const code: { taskId: string; facts: Facts }[] = [];
  const chains: { judgement?: Verdict; verdict?: Verdict }[] = [];
  const pinned = (await store.getManifest(runId)).stages.generate;
  const outcomes: { taskId: string; passed: boolean }[] = [];
  for (let start = 0; ; start += 500) {
    const ids = await store.sampleIds(runId, start, start + 499);
    if (ids.length === 0) break;
    for (const entry of await store.exportPage(runId, ids)) {
      report.samples += 1;
      if (entry.judgement?.critique) chains.push({ judgement: entry.judgement, verdict: entry.verdict });
      if (entry.sample.kind === 'pair' && entry.verdict) pairs.push(exportRecord(manifest, new Map(), entry));
      if (entry.sample.kind === 'code' && entry.facts?.tests)
        code.push({ taskId: entry.sample.task_id ?? entry.id, facts: entry.facts });
      if (entry.failure) {
        report.failed_samples += 1;
        bump(report.failures_by_stage, `${entry.failure.stage}:${entry.failure.code}`);
      }
      const judged = entry.judgement ?? entry.verdict;
      if (judged?.route === 'arbiter') {
        report.routed += 1;
        for (const reason of judged.route_reasons) bump(report.route_reasons, reason);
      }
      const verdict = entry.verdict;
      if (!verdict) continue;
      report.verdicts += 1;
      if (verdict.pass) report.passed += 1;
      outcomes.push({
        taskId: entry.sample.task_id ?? entry.id,
        passed: solvedForPassAtK(entry.sample, entry.facts, verdict),
      });
      bump(report.verdict_sources, verdict.source);
      bump(report.arbitration, verdict.arbitration);
      for (const flag of verdict.flags) bump(report.flags, flag);
    }
  }
  report.pairwise = pairwiseSummary(pairs, { seed: options.seed ?? 0 });
  if (chains.length > 0) report.critique = critiqueSummary(chains);
  if (pinned)
    report.generation = generationReport(pinned, await store.generation.all(runId), passCountsByTask(outcomes));
  else report.code_pass_at_k = codePassAtK(code);
  const bestOfN = await loadBestOfN(store, runId);
  if (bestOfN) report.best_of_n = bestOfNSummary(bestOfN.info, [...bestOfN.choices.values()]);
  return report;
}
