import { randomBytes } from 'node:crypto';
import {
  type DatasetError,
  type DatasetFile,
  datasetHash,
  formatDatasetError,
  GAVEL_VERSION,
  ID_PATTERN,
  loadBaseConfig,
  type ParsedDataset,
  parseHumanEvalProblems,
  parseHumanEvalSamples,
  parseNativeJsonl,
  type RubricRef,
  type RunManifest,
  readDatasetFile,
  type Sample,
  type SampleKind,
  Sut,
} from '@gavel/core';
import { checkFamilyClash } from '@gavel/judge';
import { enqueueRun } from '@gavel/queue';
import { DEFAULT_RUBRICS, type LoadedRubric, loadRubric } from '@gavel/rubric';
import { startTelemetry } from '@gavel/telemetry';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { progressBar } from '../progress-bar.ts';
import { runStagesFromEnv } from '../run-stages.ts';

export interface EnqueueOptions {
  format: 'jsonl' | 'humaneval';
  problems?: string;
  samples?: string;
  run?: string;
  rubric?: string;
  rubricsDir: string;
  skipInvalid: boolean;
  sutModel?: string;
  sutFamily?: string;
  sutPrecision?: string;
  json: boolean;
}

const MAX_ERRORS_SHOWN = 20;

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

async function readInput(
  files: string[],
  options: EnqueueOptions,
): Promise<{ parsed: ParsedDataset; read: DatasetFile[] }> {
  if (options.format === 'jsonl') {
    if (files.length === 0) throw new CliError('gavel enqueue: name a dataset file (JSONL, optionally .gz)', 2);
    const read = await Promise.all(files.map((f) => readDatasetFile(f)));
    const parsed: ParsedDataset = { samples: [], lines: [], errors: [] };
    for (const file of read) {
      const one = parseNativeJsonl(file);
      parsed.samples.push(...one.samples);
      parsed.lines.push(...one.lines);
      parsed.errors.push(...one.errors);
    }
    const seen = new Set<string>();
    parsed.samples.forEach((s, i) => {
      if (seen.has(s.id)) {
        const at = parsed.lines[i];
        parsed.errors.push({
          file: at?.file ?? '?',
          line: at?.line ?? 0,
          field: 'id',
          message: `duplicate id "${s.id}" across files`,
        });
      }
      seen.add(s.id);
    });
    return { parsed, read };
  }
  const problemsPath = options.problems;
  const samplesPath = options.samples ?? files[0];
  if (!problemsPath || !samplesPath) {
    throw new CliError(
      'gavel enqueue --format humaneval needs --problems HumanEval.jsonl[.gz] and --samples samples.jsonl',
      2,
    );
  }
  const sut = Sut.safeParse({ model: options.sutModel, family: options.sutFamily, precision: options.sutPrecision });
  if (!sut.success) {
    throw new CliError(
      'gavel enqueue --format humaneval needs --sut-model and --sut-family (the model that wrote the completions)',
      2,
    );
  }
  const [problemsFile, samplesFile] = await Promise.all([readDatasetFile(problemsPath), readDatasetFile(samplesPath)]);
  const { problems, errors } = parseHumanEvalProblems(problemsFile);
  const parsed = parseHumanEvalSamples(problems, samplesFile, sut.data);
  parsed.errors.unshift(...errors);
  return { parsed, read: [problemsFile, samplesFile] };
}

async function pinRubrics(samples: readonly Sample[], options: EnqueueOptions): Promise<Map<SampleKind, LoadedRubric>> {
  const kinds = new Set(samples.map((s) => s.kind));
  const pinned = new Map<SampleKind, LoadedRubric>();
  if (options.rubric) {
    const rubric = await loadRubric(options.rubricsDir, options.rubric);
    pinned.set(rubric.kind, rubric);
  }
  for (const kind of kinds) {
    if (!pinned.has(kind)) pinned.set(kind, await loadRubric(options.rubricsDir, DEFAULT_RUBRICS[kind]));
  }
  return pinned;
}

function familyClashes(samples: readonly Sample[], parsed: ParsedDataset, judgeFamily: string | null): DatasetError[] {
  const errors: DatasetError[] = [];
  samples.forEach((s, i) => {
    const clash = checkFamilyClash(judgeFamily, s.sut);
    if (clash === undefined) return;
    const at = parsed.lines[i];
    errors.push({ file: at?.file ?? '?', line: at?.line ?? 0, field: 'sut.family', message: clash });
  });
  return errors;
}

/** `gavel enqueue`: validate the whole file, pin the rubric, write the manifest, add sandbox jobs. */
export async function enqueueCommand(files: string[], options: EnqueueOptions): Promise<string> {
  if (options.run !== undefined && !ID_PATTERN.test(options.run)) {
    throw new CliError(
      `--run ${options.run}: a run id is 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit`,
      2,
    );
  }
  const stages = await runStagesFromEnv(process.env, loadBaseConfig(process.env).GAVEL_DATA_DIR);
  const { parsed, read } = await readInput(files, options);
  parsed.errors.push(...familyClashes(parsed.samples, parsed, stages.judge.family));
  parsed.errors.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file.localeCompare(b.file)));
  const badLines = new Set(parsed.errors.map((e) => `${e.file}:${e.line}`));
  if (parsed.errors.length > 0) {
    for (const error of parsed.errors.slice(0, MAX_ERRORS_SHOWN))
      process.stderr.write(`${formatDatasetError(error)}\n`);
    if (parsed.errors.length > MAX_ERRORS_SHOWN) {
      process.stderr.write(`… and ${parsed.errors.length - MAX_ERRORS_SHOWN} more error(s)\n`);
    }
    if (!options.skipInvalid) {
      throw new CliError(
        `gavel enqueue: ${badLines.size} invalid line(s), nothing enqueued (fix them, or pass --skip-invalid to enqueue the ${parsed.samples.length - countBad(parsed, badLines)} valid ones)`,
        1,
      );
    }
  }
  const samples = parsed.samples.filter((_, i) => {
    const at = parsed.lines[i];
    return at !== undefined && !badLines.has(`${at.file}:${at.line}`);
  });
  if (samples.length === 0) throw new CliError('gavel enqueue: no valid sample to enqueue', 1);
  const rubrics = await pinRubrics(samples, options);
  const rubricRefs: Partial<Record<SampleKind, RubricRef>> = {};
  for (const [kind, rubric] of rubrics) rubricRefs[kind] = rubric.ref;
  const runId = options.run ?? newRunId();
  const manifest: RunManifest = {
    run_id: runId,
    created_at: new Date().toISOString(),
    gavel_version: GAVEL_VERSION,
    dataset: {
      format: options.format,
      files: read.map((f) => ({ path: f.path, sha256: f.sha256 })),
      sha256: datasetHash(read),
      samples: samples.length,
      skipped_invalid: badLines.size,
    },
    rubrics: rubricRefs,
    stages,
  };
  // With OTEL_EXPORTER_OTLP_ENDPOINT set, each sample's trace starts here (its `gavel.enqueue` span).
  const tracing = startTelemetry({ serviceName: 'gavel-producer' });
  const context = openContext();
  const bar = progressBar('enqueue');
  try {
    const result = await enqueueRun({
      store: context.store,
      sandbox: context.queues.sandbox,
      manifest,
      samples,
      rubrics: [...rubrics.values()],
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.stop();
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ run_id: runId, samples: samples.length, queued: result.added, existed: result.existed, skipped_invalid: badLines.size })}\n`,
      );
    } else {
      const note = result.existed ? ` (run existed: ${result.added} sample(s) still needed a sandbox job)` : '';
      process.stderr.write(
        `enqueued ${samples.length} sample(s)${badLines.size ? `, skipped ${badLines.size} invalid line(s)` : ''}${note}\n`,
      );
      process.stdout.write(`${runId}\n`);
    }
    return runId;
  } finally {
    bar.stop();
    await context.close();
    await tracing.shutdown();
  }
}

function countBad(parsed: ParsedDataset, bad: Set<string>): number {
  return parsed.lines.filter((at) => bad.has(`${at.file}:${at.line}`)).length;
}
