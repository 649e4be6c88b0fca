import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, type SampleKind } from '@gavel/core';
import semver from 'semver';
import { z } from 'zod';
import { type LoadedRubric, parseRubric, rubricKey } from './rubric.ts';

/** `rubrics/rubrics.lock.json`: every frozen rubric version with its pinned sha256. */
export const RubricLock = z.record(
  z.string(),
  z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), frozen_at: z.string().optional() }),
);
export type RubricLock = z.infer<typeof RubricLock>;

/** The rubric each sample kind gets when `--rubric` names none. */
export const DEFAULT_RUBRICS: Readonly<Record<SampleKind, string>> = {
  text: 'text-answer',
  code: 'code-correctness',
  pair: 'pairwise-preference',
};

async function readLock(dir: string): Promise<RubricLock> {
  const path = join(dir, 'rubrics.lock.json');
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`${path} is missing: rubrics must be pinned in a lock file`);
  }
  return RubricLock.parse(JSON.parse(raw));
}

/** Parses `name` or `name@version`. */
export function parseRubricSpec(spec: string): { id: string; version?: string } {
  const [id, version, extra] = spec.split('@');
  if (!id || extra !== undefined || (version !== undefined && semver.valid(version) !== version)) {
    throw new InputError(`--rubric ${spec}: expected NAME or NAME@VERSION (semver), e.g. code-correctness@1.0.0`);
  }
  return { id, version };
}

/**
 * Loads a pinned rubric from the library folder. Without a version, the highest version in the
 * lock file. The file's sha256 must equal the lock file's: a frozen rubric never changes.
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
    throw new InputError(`rubric ${spec} is not in ${join(dir, 'rubrics.lock.json')} (pinned: ${known})`);
  }
  const path = join(dir, id, `${chosen}.md`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`rubric ${id}@${chosen}: ${path} is missing`);
  }
  const rubric = parseRubric(text, path);
  if (rubric.id !== id || rubric.version !== chosen) {
    throw new InputError(`${path}: front matter says ${rubricKey(rubric)}, the path says ${id}@${chosen}`);
  }
  const pinned = lock[rubricKey(rubric)];
  if (pinned?.sha256 !== rubric.ref.hash) {
    throw new InputError(
      `rubric ${rubricKey(rubric)}: content hash ${rubric.ref.hash.slice(0, 12)}… does not match the lock file (${pinned?.sha256.slice(0, 12)}…); a frozen rubric cannot change — bump its version`,
    );
  }
  return rubric;
}
