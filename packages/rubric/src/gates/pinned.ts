import semver from 'semver';
import type { RubricLock } from '../lock-file.ts';

export interface PinnedResult {
  passed: boolean;
  reasons: string[];
  version: string;
  sha256: string;
  /** Versions of the id already in the lock file, other than this one. */
  earlier: string[];
  /** Already frozen with exactly these bytes (a re-check). */
  already_frozen: boolean;
}

/**
 * The pinned gate: the version is semver and above every other version of the id in the lock file,
 * and if this version is already pinned, it is pinned to exactly these bytes.
 */
export function pinnedGate(id: string, version: string, sha256: string, lock: RubricLock): PinnedResult {
  const reasons: string[] = [];
  const others = Object.keys(lock)
    .filter((k) => k.startsWith(`${id}@`))
    .map((k) => k.slice(id.length + 1))
    .filter((v) => v !== version);
  if (semver.valid(version) !== version) reasons.push(`version ${version} is not semver`);
  else {
    const higher = others.filter((v) => semver.valid(v) && semver.gte(v, version));
    if (higher.length > 0) {
      reasons.push(`version ${version} is not above every earlier version of ${id} (pinned: ${higher.join(', ')})`);
    }
  }
  const existing = lock[`${id}@${version}`];
  if (existing && existing.sha256 !== sha256) {
    reasons.push(
      `${id}@${version} is already pinned to sha256 ${existing.sha256.slice(0, 12)}…, these bytes hash to ${sha256.slice(0, 12)}…: a frozen rubric cannot change — bump its version`,
    );
  }
  return {
    passed: reasons.length === 0,
    reasons,
    version,
    sha256,
    earlier: others.sort(semver.compare),
    already_frozen: existing?.sha256 === sha256,
  };
}
