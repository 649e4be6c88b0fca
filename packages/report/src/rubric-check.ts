import type { RubricRef } from '@gavel/core';
import type { GradedPair } from './pairing.ts';
import type { RunRecords } from './run-records.ts';

/** Two runs graded on different frozen criteria: their figures are not like for like. */
export class RubricMismatchError extends Error {
  override readonly name = 'RubricMismatchError';
  constructor(
    readonly base: RubricRef,
    readonly candidate: RubricRef,
  ) {
    super(
      `rubric mismatch: base pinned ${base.id}@${base.version} (sha256 ${base.hash}), candidate pinned ` +
        `${candidate.id}@${candidate.version} (sha256 ${candidate.hash}); compare runs graded on the same ` +
        'frozen rubric, or pass --allow-rubric-change to compare anyway (every figure marked not like-for-like)',
    );
  }
}

/** A rubric difference between the two runs. */
export interface RubricChange {
  /** The sample kind whose rubric differs (from the manifests), or `sample` (from a pair's records). */
  scope: string;
  base: RubricRef;
  candidate: RubricRef;
}

const same = (a: RubricRef, b: RubricRef) => a.id === b.id && a.version === b.version && a.hash === b.hash;

/**
 * Every rubric difference between two runs: the rubrics both manifests pinned for the same sample
 * kind, and the rubric each counted pair's two records were graded on. Empty when like for like.
 */
export function rubricChanges(base: RunRecords, candidate: RunRecords, pairs: readonly GradedPair[]): RubricChange[] {
  const changes: RubricChange[] = [];
  const seen = new Set<string>();
  const add = (scope: string, b: RubricRef, c: RubricRef) => {
    const key = JSON.stringify([b, c]);
    if (same(b, c) || seen.has(key)) return;
    seen.add(key);
    changes.push({ scope, base: b, candidate: c });
  };
  if (base.manifest && candidate.manifest) {
    for (const [kind, b] of Object.entries(base.manifest.rubrics)) {
      const c = candidate.manifest.rubrics[kind as keyof typeof candidate.manifest.rubrics];
      if (b && c) add(kind, b, c);
    }
  }
  for (const pair of pairs) {
    if (pair.base.rubric && pair.candidate.rubric) add('sample', pair.base.rubric, pair.candidate.rubric);
  }
  return changes;
}
