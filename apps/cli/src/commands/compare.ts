import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns, formatComparison, RubricMismatchError, type RunRecords } from '@gavel/report';
import { CliError } from '../cli-error.ts';

export { parseMaxDrop, parseSeed } from './compare-options.ts';

import { openContext } from '../context.ts';
import { loadRunRecords, readExportFile } from '../run-records-source.ts';

/** `gavel compare` exits with this when `--max-drop` blocks the ship (a larger drop is not ruled out). */
export const EXIT_SHIP_BLOCKED = 3;

export interface CompareCommandOptions {
  json: boolean;
  out?: string;
  maxDrop?: number;
  seed?: number;
  allowRubricChange: boolean;
  allowDraft?: boolean;
  fromExport: boolean;
}

/** The draft rubrics a run was graded on: from its manifest, else from its records. */
export function draftRubrics(run: RunRecords): string[] {
  const refs = run.manifest ? Object.values(run.manifest.rubrics) : run.records.map((r) => r.rubric);
  const drafts = new Set<string>();
  for (const ref of refs) if (ref?.state === 'draft') drafts.add(`${ref.id}@${ref.version}`);
  return [...drafts];
}

async function loadBoth(base: string, candidate: string, fromExport: boolean): Promise<[RunRecords, RunRecords]> {
  if (fromExport) return [await readExportFile(base), await readExportFile(candidate)];
  const context = openContext();
  try {
    return [await loadRunRecords(context, base), await loadRunRecords(context, candidate)];
  } finally {
    await context.close();
  }
}

/**
 * `gavel compare BASE CANDIDATE`: the two runs (run ids, or export files with `--from-export`)
 * paired sample by sample, as text or `--json`, optionally written to `--out DIR`. Exits 3 when
 * `--max-drop` blocks the ship, 1 when the rubrics differ and `--allow-rubric-change` is not given.
 */
export async function compareCommand(base: string, candidate: string, options: CompareCommandOptions): Promise<void> {
  const [baseRun, candidateRun] = await loadBoth(base, candidate, options.fromExport);
  if (!options.allowDraft) {
    for (const [name, run] of [
      [base, baseRun],
      [candidate, candidateRun],
    ] as const) {
      const drafts = draftRubrics(run);
      if (drafts.length > 0) {
        throw new CliError(
          `gavel compare: ${name} was graded on draft rubric ${drafts.join(', ')} (not frozen through the gates); freeze it with gavel rubric freeze, or pass --allow-draft`,
          1,
        );
      }
    }
  }
  let comparison: ReturnType<typeof compareRuns>;
  try {
    comparison = compareRuns(baseRun, candidateRun, {
      allowRubricChange: options.allowRubricChange,
      maxDropPts: options.maxDrop,
      seed: options.seed,
    });
  } catch (error) {
    if (error instanceof RubricMismatchError) throw new CliError(`gavel compare: ${error.message}`, 1);
    throw error;
  }
  const text = formatComparison(comparison);
  const json = `${JSON.stringify(comparison)}\n`;
  if (options.out) {
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, 'comparison.json'), `${JSON.stringify(comparison, null, 2)}\n`);
    writeFileSync(join(options.out, 'comparison.txt'), text);
  }
  process.stdout.write(options.json ? json : text);
  if (comparison.decision.ship_blocked) {
    process.stderr.write(`gavel compare: ship blocked: ${comparison.decision.reason}\n`);
    process.exitCode = EXIT_SHIP_BLOCKED;
  }
}
