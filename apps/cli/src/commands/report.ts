import { costReport } from '@gavel/arbiter';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';

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
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** `gavel report RUN [--json]`: outcomes, routing, arbitration and the arbiter's cost beside on-demand uncached. */
export async function reportCommand(runId: string, options: { json: boolean }): Promise<void> {
  const context = openContext();
  try {
    if (!(await context.store.findManifest(runId)))
      throw new CliError(`gavel report: no run ${runId} (see gavel runs)`, 1);
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
      arbiter_cost: (await costReport(context.store, runId)).total,
    };
    for (let start = 0; ; start += 500) {
      const ids = await context.store.sampleIds(runId, start, start + 499);
      if (ids.length === 0) break;
      for (const entry of await context.store.exportPage(runId, ids)) {
        report.samples += 1;
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
        bump(report.verdict_sources, verdict.source);
        bump(report.arbitration, verdict.arbitration);
        for (const flag of verdict.flags) bump(report.flags, flag);
      }
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    const c = report.arbiter_cost;
    const lines = [
      `run ${runId}: ${report.samples} samples, ${report.verdicts} verdicts (${report.passed} pass), ${report.failed_samples} failed`,
      `verdicts by source: ${JSON.stringify(report.verdict_sources)}; arbitration: ${JSON.stringify(report.arbitration)}`,
      `routed to the arbiter: ${report.routed} ${JSON.stringify(report.route_reasons)}`,
      report.failed_samples ? `failures: ${JSON.stringify(report.failures_by_stage)}` : '',
      c.requests > 0
        ? `arbiter cost: $${c.usd.toFixed(4)} for ${c.requests} requests (overhead $${c.overhead_usd.toFixed(4)}) vs $${c.uncached_usd.toFixed(4)} on demand uncached: ${(c.paid_share * 100).toFixed(1)}% paid, saving $${c.saving_usd.toFixed(4)}; cached rubric prefix at ${(c.prefix_share * 100).toFixed(1)}% of its uncached price`
        : 'arbiter cost: none (no request was sent to a paid arbiter)',
    ];
    process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
  } finally {
    await context.close();
  }
}
