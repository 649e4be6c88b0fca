import { formatVerifyReport } from '@gavel/report';
import { dockerClient, loadSandboxConfig } from '@gavel/sandbox';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { verifyRun } from '../verify/verify-run.ts';

export interface VerifyOptions {
  dataset?: string[];
  judgeSample?: number;
  rubricsDir: string;
  json: boolean;
}

/**
 * `gavel verify RUN [--dataset FILE…] [--judge-sample N] [--json]`: prints one line per mismatch
 * (`sample <id>: <field>: recorded X, re-derived Y`) and one per check; exits 0 when everything
 * matched, 4 on any mismatch, 5 when a check could not be made.
 */
export async function verifyCommand(runId: string, options: VerifyOptions): Promise<void> {
  const context = openContext();
  try {
    const report = await verifyRun(context, runId, {
      rubricsDir: options.rubricsDir,
      ...(options.dataset ? { dataset: options.dataset } : {}),
      ...(options.judgeSample !== undefined ? { judgeSample: options.judgeSample } : {}),
      env: process.env,
      docker: dockerClient(loadSandboxConfig(process.env).dockerHost),
    });
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(`${formatVerifyReport(report).join('\n')}\n`);
    if (report.exit_code !== 0) {
      const what =
        report.mismatches.length > 0
          ? `${report.mismatches.length} mismatch(es)`
          : 'a check could not be made (see "unchecked" above)';
      throw new CliError(`gavel verify: run ${runId}: ${what}`, report.exit_code);
    }
    process.stderr.write(`gavel verify: run ${runId}: everything re-derived matches the record\n`);
  } finally {
    await context.close();
  }
}
