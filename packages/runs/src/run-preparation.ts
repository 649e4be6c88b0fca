import { randomBytes } from 'node:crypto';
import {
  type DatasetError,
  type DatasetFile,
  datasetHash,
  GAVEL_VERSION,
  type ParsedDataset,
  type RubricRef,
  type RunManifest,
  type Sample,
  type SampleKind,
} from '@gavel/core';
import { checkFamilyClash } from '@gavel/judge/settings';
import { DEFAULT_RUBRICS, type LoadedRubric, loadRubric, loadRubricFile } from '@gavel/rubric';

/** What the producer checks of a whole dataset before anything is enqueued. */
export interface DatasetCheck {
  /** Every problem, sorted by file and line (parse errors and judge-family clashes). */
  errors: DatasetError[];
  /** The samples on lines without any problem, in dataset order. */
  valid: Sample[];
  /** Lines with at least one problem. */
  invalidLines: number;
}

/** A new run id: `run-YYYYMMDD-HHMMSS-<6 hex>`. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Pure: adds the judge-family clashes (and the critic's, when a critic of its own is configured)
 * to a parsed dataset's errors and splits the samples into the valid ones and the lines to refuse
 * (what `gavel enqueue` and `POST /v1/runs` both decide).
 */
export function checkDataset(
  parsed: ParsedDataset,
  judgeFamily: string | null,
  criticFamily: string | null = null,
): DatasetCheck {
  const errors = [...parsed.errors];
  parsed.samples.forEach((s, i) => {
    const sides =
      s.kind === 'pair'
        ? (['a', 'b'] as const).map((side) => ({ field: `systems.${side}.family`, sut: s.systems[side] }))
        : [{ field: 'sut.family', sut: s.sut }];
    for (const { field, sut } of sides) {
      const clashes = [checkFamilyClash(judgeFamily, sut), checkFamilyClash(criticFamily, sut, 'critic')];
      for (const clash of clashes) {
        if (clash === undefined) continue;
        const at = parsed.lines[i];
        errors.push({ file: at?.file ?? '?', line: at?.line ?? 0, field, message: clash });
      }
    }
  });
  errors.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file.localeCompare(b.file)));
  const bad = new Set(errors.map((e) => `${e.file}:${e.line}`));
  const valid = parsed.samples.filter((_, i) => {
    const at = parsed.lines[i];
    return at !== undefined && !bad.has(`${at.file}:${at.line}`);
  });
  return { errors, valid, invalidLines: bad.size };
}

/**
 * The rubric each sample kind is graded on: `rubric` (NAME@VERSION, frozen) or `rubricFile` (a draft
 * at any path) for its kind, the library's defaults for the rest.
 */
export async function pinRubrics(
  samples: readonly Sample[],
  rubricsDir: string,
  rubric?: string,
  rubricFile?: string,
): Promise<Map<SampleKind, LoadedRubric>> {
  const kinds = new Set(samples.map((s) => s.kind));
  const pinned = new Map<SampleKind, LoadedRubric>();
  if (rubricFile) {
    const draft = await loadRubricFile(rubricFile);
    pinned.set(draft.kind, draft);
  }
  if (rubric) {
    const loaded = await loadRubric(rubricsDir, rubric);
    pinned.set(loaded.kind, loaded);
  }
  for (const kind of kinds) {
    if (!pinned.has(kind)) pinned.set(kind, await loadRubric(rubricsDir, DEFAULT_RUBRICS[kind]));
  }
  return pinned;
}

/** Pure: the manifest of a new run. */
export function runManifest(input: {
  runId: string;
  format: RunManifest['dataset']['format'];
  files: readonly DatasetFile[];
  /** The sha256 of every image the dataset shows (see {@link datasetHash}). */
  images?: Iterable<string>;
  samples: number;
  skippedInvalid: number;
  rubrics: ReadonlyMap<SampleKind, LoadedRubric>;
  stages: RunManifest['stages'];
  tags?: readonly string[];
  now?: Date;
}): RunManifest {
  const rubricRefs: Partial<Record<SampleKind, RubricRef>> = {};
  for (const [kind, rubric] of input.rubrics) rubricRefs[kind] = rubric.ref;
  const images = [...new Set(input.images ?? [])].sort();
  return {
    run_id: input.runId,
    created_at: (input.now ?? new Date()).toISOString(),
    gavel_version: GAVEL_VERSION,
    dataset: {
      format: input.format,
      files: input.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
      sha256: datasetHash(input.files, images),
      ...(images.length > 0 ? { images } : {}),
      samples: input.samples,
      skipped_invalid: input.skippedInvalid,
    },
    rubrics: rubricRefs,
    ...(input.tags?.length ? { tags: [...input.tags] } : {}),
    stages: input.stages,
  };
}
