import { type DatasetFile, type ParsedDataset, readDatasetFile } from '@gavel/core';
import { z } from 'zod';
import { CliError } from '../cli-error.ts';

const Anchors = z.array(z.string().min(1)).min(1).max(64);

/** Reads `--anchors FILE`: a JSON array of 1–64 anchor answers for the whole dataset. */
export async function readDatasetAnchors(path: string): Promise<{ file: DatasetFile; anchors: string[] }> {
  let file: DatasetFile;
  try {
    file = await readDatasetFile(path);
  } catch (error) {
    throw new CliError(`--anchors ${path}: ${(error as Error).message}`, 2);
  }
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch (error) {
    throw new CliError(`--anchors ${path}: not JSON (${(error as Error).message})`, 1);
  }
  const parsed = Anchors.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      `--anchors ${path}: ${issue?.path.length ? `[${issue.path.join('.')}] ` : ''}${issue?.message ?? 'invalid'} (a JSON array of 1 to 64 non-empty strings)`,
      1,
    );
  }
  return { file, anchors: parsed.data };
}

/**
 * The dataset with `anchors` on every text sample that has a reference and no anchors of its own
 * (a sample's own set wins; code, pairs and samples without a reference are left as they are). Pure.
 */
export function withDatasetAnchors(parsed: ParsedDataset, anchors: readonly string[]): ParsedDataset {
  return {
    ...parsed,
    samples: parsed.samples.map((s) =>
      s.kind === 'text' && s.reference !== undefined && s.anchors === undefined ? { ...s, anchors: [...anchors] } : s,
    ),
  };
}
