import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, type SampleKind } from '@gavel/core';
import semver from 'semver';
import { gateReportProblem, lockPath, readLock } from './lock-file.ts';
import { type LoadedRubric, parseRubric, rubricKey } from './rubric.ts';

/** The rubric each sample kind gets when `--rubric` names none. */
export const DEFAULT_RUBRICS: Readonly<Record<SampleKind, string>> = {
  text: 'text-answer',
  code: 'code-correctness',
  pair: 'pairwise-preference',
};

/** Parses `name` or `name@version`. */
export function parseRubricSpec(spec: string): { id: string; version?: string } {
  const [id, version, extra] = spec.split('@');
  if (!id || extra !== undefined || (version !== undefined && semver.valid(version) !== version)) {
    throw new InputError(`--rubric ${spec}: expected NAME or NAME@VERSION (semver), e.g. code-correctness@1.0.0`);
  }
  return { id, version };
}

/** Reads `<dir>/<id>/<version>.md` and checks that its front matter names the same id and version. */
export async function readLibraryRubric(dir: string, id: string, version: string): Promise<LoadedRubric> {
  const path = join(dir, id, `${version}.md`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`rubric ${id}@${version}: ${path} is missing`);
  }
  const rubric = parseRubric(text, path);
  if (rubric.id !== id || rubric.version !== version) {
    throw new InputError(`${path}: front matter says ${rubricKey(rubric)}, the path says ${id}@${version}`);
  }
  return rubric;
}

/**
 * Loads a frozen rubric from the library folder. Without a version, the highest version in the
 * lock file. The file's sha256 must equal the lock file's (a frozen rubric never changes), and the
 * lock entry must be backed by the gate report `gavel rubric freeze` wrote: an entry made by hand is
 * refused, saying how to freeze (every kind, `pair` rubrics through their pairwise gates).
 */
export async function loadRubric(dir: string, spec: string): Promise<LoadedRubric> {
  const { id, version } = parseRubricSpec(spec);
  const lock = await readLock(dir);
  const versions = Object.keys(lock)
    .filter((key) => key.startsWith(`${id}@`))
    .map((key) => key.slice(id.length + 1));
  const chosen = version ?? semver.rsort(versions)[0];
  if (!chosen || !versions.includes(chosen)) {
    const known = Object.keys(lock).join(', ') || 'none';
    throw new InputError(`rubric ${spec} is not in ${lockPath(dir)} (pinned: ${known})`);
  }
  const rubric = await readLibraryRubric(dir, id, chosen);
  const key = rubricKey(rubric);
  const pinned = lock[key];
  if (pinned?.sha256 !== rubric.ref.hash) {
    throw new InputError(
      `rubric ${key}: content hash ${rubric.ref.hash.slice(0, 12)}… does not match the lock file (${pinned?.sha256.slice(0, 12)}…); a frozen rubric cannot change — bump its version`,
    );
  }
  const problem = await gateReportProblem(dir, id, chosen, pinned);
  if (problem !== undefined) {
    throw new InputError(
      `rubric ${key}: ${problem}; the lock file is written only by \`gavel rubric freeze ${key} --calibration FILE\` (or use it as a draft: --rubric-file ${join(dir, id, `${chosen}.md`)})`,
    );
  }
  return {
    ...rubric,
    ref: { ...rubric.ref, state: 'frozen', gate_report_sha256: pinned.gate_report_sha256 ?? null },
  };
}

/** A draft rubric from any path (`--rubric-file`): parsed and hashed, not pinned by the lock file. */
export async function loadRubricFile(path: string): Promise<LoadedRubric> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`--rubric-file ${path}: cannot read the file`);
  }
  const rubric = parseRubric(text, path);
  return { ...rubric, ref: { ...rubric.ref, state: 'draft', gate_report_sha256: null } };
}
