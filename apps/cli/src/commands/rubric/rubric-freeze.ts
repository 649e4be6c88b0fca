import { writeFile } from 'node:fs/promises';
import {
  failedGates,
  formatGateReport,
  gateHeadline,
  gateReportPath,
  parseRubricSpec,
  readLock,
  rubricKey,
  sha256Hex,
  writeLock,
} from '@gavel/rubric';
import { CliError } from '../../cli-error.ts';
import { checkRubric, type RubricCheckOptions } from './rubric-check.ts';

/**
 * `gavel rubric freeze ID@VER --calibration …`: runs every gate on the library file's current bytes;
 * refuses (exit 1, each failed gate and why) unless all passed; then writes the gate report to
 * `rubrics/<id>/<version>.gates.json` and the lock entry (sha256, frozen_at, the report's sha256 and
 * its headline figures). The only writer of the lock file.
 */
export async function rubricFreezeCommand(
  spec: string,
  options: Omit<RubricCheckOptions, 'rubricFile'>,
): Promise<void> {
  const { version } = parseRubricSpec(spec);
  if (!version) throw new CliError(`gavel rubric freeze: ${spec}: name the version (ID@VERSION)`, 2);
  const report = await checkRubric(spec, options);
  process.stdout.write(formatGateReport(report));
  const failed = failedGates(report);
  if (failed.length > 0) {
    const lines = failed.flatMap((g) => g.reasons.map((r) => `  ${g.gate}: ${r}`));
    throw new CliError(`gavel rubric freeze: refused, ${failed.length} gate(s) failed:\n${lines.join('\n')}`, 1);
  }
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const path = gateReportPath(options.rubricsDir, report.rubric.id, report.rubric.version);
  await writeFile(path, text);
  const lock = await readLock(options.rubricsDir);
  const key = rubricKey(report.rubric);
  lock[key] = {
    sha256: report.rubric.sha256,
    frozen_at: report.created_at,
    gate_report_sha256: sha256Hex(text),
    gates: gateHeadline(report),
  };
  await writeLock(options.rubricsDir, lock);
  process.stderr.write(`gavel rubric freeze: ${key} frozen (gate report ${path}, sha256 ${sha256Hex(text)})\n`);
}
