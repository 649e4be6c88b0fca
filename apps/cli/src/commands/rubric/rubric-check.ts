import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@gavel/core';
import {
  failedGates,
  formatGateReport,
  type GateReport,
  type LoadedRubric,
  loadRubric,
  loadRubricFile,
  parseRubricSpec,
  readLibraryRubric,
} from '@gavel/rubric';
import { CliError } from '../../cli-error.ts';
import { runGates } from './gate-run.ts';
import { readLabelledSamples } from './labelled-samples.ts';
import { readEvalTasks, readPublicSource } from './public-sources.ts';

export interface RubricCheckOptions {
  rubricFile?: string;
  rubricsDir: string;
  calibration: string;
  adversarial?: string[];
  public?: string[];
  eval?: string[];
  ngram: number;
  threshold: number;
  timeout: number;
  out?: string;
  json: boolean;
}

/** The shipped HumanEval index (prompts and canonical solutions), always a public source. */
export function shippedPublicIndex(rubricsDir: string): string {
  return join(rubricsDir, 'public', 'humaneval.index.json.gz');
}

/** The shipped adversarial suite of a sample kind, always run. */
export function shippedAdversarial(rubricsDir: string, kind: string): string {
  return join(rubricsDir, 'adversarial', `${kind}.jsonl`);
}

/** The rubric under check: `ID@VER` from the library (whether frozen or not yet), or `--rubric-file`. */
export async function rubricUnderCheck(
  spec: string | undefined,
  options: { rubricFile?: string; rubricsDir: string },
): Promise<{ rubric: LoadedRubric; source: string }> {
  if (spec && options.rubricFile) throw new CliError('gavel rubric: give ID@VERSION or --rubric-file, not both', 2);
  if (options.rubricFile) return { rubric: await loadRubricFile(options.rubricFile), source: options.rubricFile };
  if (!spec) throw new CliError('gavel rubric: name the rubric (ID@VERSION) or give --rubric-file PATH', 2);
  const { id, version } = parseRubricSpec(spec);
  if (!version) throw new CliError(`gavel rubric: ${spec}: name the version (ID@VERSION)`, 2);
  const source = join(options.rubricsDir, id, `${version}.md`);
  // Frozen when its lock entry and gate report hold; otherwise the library file, as a draft.
  const frozen = await loadRubric(options.rubricsDir, spec).catch((error: unknown) => {
    if (error instanceof InputError) return undefined;
    throw error;
  });
  return { rubric: frozen ?? (await readLibraryRubric(options.rubricsDir, id, version)), source };
}

/** Gathers every input of the gates and runs them (check and freeze share this). */
export async function checkRubric(spec: string | undefined, options: RubricCheckOptions): Promise<GateReport> {
  const { rubric, source } = await rubricUnderCheck(spec, options);
  const calibration = await readLabelledSamples(options.calibration, 'calibration', 'cal.');
  const adversarialPaths = [shippedAdversarial(options.rubricsDir, rubric.kind), ...(options.adversarial ?? [])];
  const adversarial = [];
  for (const [i, path] of adversarialPaths.entries()) {
    if (i === 0 && !existsSync(path))
      throw new CliError(`gavel rubric: the shipped adversarial suite ${path} is missing`, 1);
    adversarial.push(await readLabelledSamples(path, 'adversarial', `adv${i}.`));
  }
  const publicSources = [];
  for (const path of [shippedPublicIndex(options.rubricsDir), ...(options.public ?? [])]) {
    publicSources.push(await readPublicSource(path));
  }
  const evalTasks = [];
  for (const path of options.eval ?? []) evalTasks.push(...(await readEvalTasks(path)));
  return runGates({
    rubric,
    source,
    rubricsDir: options.rubricsDir,
    calibration,
    adversarial,
    publicSources,
    evalTasks,
    ngram: options.ngram,
    threshold: options.threshold,
    timeoutS: options.timeout,
  });
}

/**
 * `gavel rubric check`: runs the four gates, prints the summary (or the report as JSON), writes the
 * report to `--out`, and exits 0 only when every gate passed (1 otherwise).
 */
export async function rubricCheckCommand(spec: string | undefined, options: RubricCheckOptions): Promise<void> {
  const report = await checkRubric(spec, options);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.out) await writeFile(options.out, json);
  process.stdout.write(options.json ? json : formatGateReport(report));
  if (!report.passed) {
    process.stderr.write(
      `gavel rubric check: ${failedGates(report)
        .map((g) => g.gate)
        .join(', ')} failed\n`,
    );
    process.exitCode = 1;
  }
}
