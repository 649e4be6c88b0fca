import { formatPairwiseSummary } from '@gavel/report';
import { runReport } from '@gavel/runs';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';

/** `gavel report RUN [--json]`: outcomes, routing, arbitration and the arbiter's cost beside on-demand uncached. */
export async function reportCommand(runId: string, options: { json: boolean }): Promise<void> {
  const context = openContext();
  try {
    if (!(await context.store.findManifest(runId)))
      throw new CliError(`gavel report: no run ${runId} (see gavel runs)`, 1);
    const report = await runReport(context.store, runId);
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
      report.pairwise ? formatPairwiseSummary(report.pairwise) : '',
    ];
    process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
  } finally {
    await context.close();
  }
}
