import { once } from 'node:events';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { RunManifest } from '@gavel/core';
import { ExportRecord, type RunRecords } from '@gavel/report';
import { runRecordPages as storeRecordPages } from '@gavel/runs';
import { CliError } from './cli-error.ts';
import type { CliContext } from './context.ts';

/** Where `gavel export --out FILE` writes the run's manifest, and where `--from-export` looks for it. */
export function manifestPathFor(exportPath: string): string {
  return `${exportPath}.manifest.json`;
}

/** Pages every record of a run out of the run store, in dataset order (what `gavel export` writes). */
export async function* runRecordPages(
  context: CliContext,
  runId: string,
  pageSize = 500,
): AsyncGenerator<ExportRecord[]> {
  const manifest = await context.store.findManifest(runId);
  if (!manifest) throw new CliError(`gavel: no run ${runId} (see gavel runs)`, 1);
  yield* storeRecordPages(context.store, manifest, { pageSize });
}

/** A whole run from the run store: its manifest and every record. */
export async function loadRunRecords(context: CliContext, runId: string): Promise<RunRecords> {
  const records: ExportRecord[] = [];
  for await (const page of runRecordPages(context, runId)) records.push(...page);
  return { manifest: await context.store.getManifest(runId), records };
}

/**
 * A whole run from a `gavel export` file (JSONL, optionally gzipped), with its manifest when
 * `<file>.manifest.json` lies beside it. A line that is not an export record names its line and field.
 */
export async function readExportFile(path: string): Promise<RunRecords> {
  if (!existsSync(path)) throw new CliError(`gavel: export file ${path} does not exist`, 1);
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const records: ExportRecord[] = [];
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new CliError(`${path}:${lineNo}: not JSON (${(error as Error).message})`, 1);
    }
    const parsed = ExportRecord.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(`${path}:${lineNo}: ${issue?.path.join('.') || '(record)'}: ${issue?.message}`, 1);
    }
    records.push(parsed.data);
  }
  if (!raw.closed) await once(raw, 'close').catch(() => undefined);
  const manifestPath = manifestPathFor(path);
  let manifest: RunManifest | null = null;
  if (existsSync(manifestPath)) {
    const parsed = RunManifest.safeParse(JSON.parse(readFileSync(manifestPath, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(`${manifestPath}: ${issue?.path.join('.') || '(manifest)'}: ${issue?.message}`, 1);
    }
    manifest = parsed.data;
  }
  return { manifest, records };
}
