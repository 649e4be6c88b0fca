import type { RunRecords } from './run-records.ts';

type Value = string | number | null;

/** One thing that differs between the two runs' manifests (or, without a manifest, their records). */
export interface ManifestDifference {
  field: string;
  base: Value;
  candidate: Value;
}

// The distinct values of `pick` over a run's records, sorted and joined; null when none.
function distinct(
  run: RunRecords,
  pick: (r: RunRecords['records'][number]) => string | null | undefined,
): string | null {
  const values = new Set<string>();
  for (const record of run.records) {
    const v = pick(record);
    if (v !== null && v !== undefined) values.add(v);
  }
  return values.size === 0 ? null : [...values].sort().join(', ');
}

// What a run says about each compared field.
function described(run: RunRecords): Record<string, Value> {
  const m = run.manifest;
  const rubrics = m
    ? Object.entries(m.rubrics)
        .map(([kind, r]) => `${kind}: ${r?.id}@${r?.version} (${r?.hash})`)
        .sort()
        .join(', ')
    : distinct(run, (r) => (r.rubric ? `${r.kind}: ${r.rubric.id}@${r.rubric.version} (${r.rubric.hash})` : null));
  return {
    'sut.model': distinct(run, (r) => r.sut.model),
    'sut.precision': distinct(run, (r) => r.sut.precision),
    rubric: rubrics || null,
    'judge.mode': m?.stages.judge.mode ?? null,
    'judge.model': m?.stages.judge.model ?? null,
    'judge.temperature': m?.stages.judge.temperature ?? null,
    'judge.seed': m?.stages.judge.seed ?? null,
    'judge.k': m?.stages.judge.k ?? null,
    'arbiter.mode': m?.stages.arbiter.mode ?? null,
    'arbiter.model': m?.stages.arbiter.model ?? null,
    'sandbox.image_digest':
      m?.stages.sandbox.image_digest ?? distinct(run, (r) => r.facts?.sandbox?.image_digest ?? null),
    'dataset.sha256': m?.dataset.sha256 ?? null,
    gavel_version: m?.gavel_version ?? null,
  };
}

/**
 * Everything that differs between two runs' manifests: SUT model, rubric, judge model / seed / k,
 * arbiter, sandbox image digest, dataset hash, gavel version. Without a manifest (an export file
 * with none beside it), the SUT, rubric and image digest come from the records and the rest is null.
 */
export function manifestDiff(base: RunRecords, candidate: RunRecords): ManifestDifference[] {
  const b = described(base);
  const c = described(candidate);
  return Object.keys(b)
    .filter((field) => b[field] !== c[field])
    .map((field) => ({ field, base: b[field] ?? null, candidate: c[field] ?? null }));
}
