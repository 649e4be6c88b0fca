import {
  type DatasetFile,
  formatDatasetError,
  ID_PATTERN,
  loadBaseConfig,
  type ParsedDataset,
  parseHumanEvalProblems,
  parseHumanEvalSamples,
  parseNativeJsonl,
  readDatasetFile,
  Sut,
} from '@gavel/core';
import { enqueueRun } from '@gavel/queue';
import {
  checkDataset,
  newRunId,
  pinRubrics,
  resolveDatasetImages,
  runManifest,
  runStagesFromEnv,
  shownImages,
} from '@gavel/runs/preparation';
import { startTelemetry } from '@gavel/telemetry';
import { CliError } from '../cli-error.ts';
import { openContext } from '../context.ts';
import { progressBar } from '../progress-bar.ts';
import { readDatasetAnchors, withDatasetAnchors } from './dataset-anchors.ts';

export { newRunId };

export interface EnqueueOptions {
  format: 'jsonl' | 'humaneval';
  problems?: string;
  samples?: string;
  run?: string;
  rubric?: string;
  rubricFile?: string;
  rubricsDir: string;
  skipInvalid: boolean;
  sutModel?: string;
  sutFamily?: string;
  sutPrecision?: string;
  /** Completions per prompt: the system under test writes the outputs (`GAVEL_SUT_*`). */
  generate?: number;
  temperature?: number;
  seed?: number;
  maxTokens?: number;
  maxCost?: number;
  baseline?: boolean;
  /** Generate through the SUT endpoint's Batch API. */
  batch?: boolean;
  /** A JSON array of anchor answers for every text sample with a reference and none of its own. */
  anchors?: string;
  json: boolean;
}

const MAX_ERRORS_SHOWN = 20;

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

/** `gavel enqueue`: validate the whole file, pin the rubric, write the manifest, add sandbox jobs. */
export async function enqueueCommand(files: string[], options: EnqueueOptions): Promise<string> {
  if (options.run !== undefined && !ID_PATTERN.test(options.run)) {
    throw new CliError(
      `--run ${options.run}: a run id is 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit`,
      2,
    );
  }
  const stages = await runStagesFromEnv(process.env, loadBaseConfig(process.env).GAVEL_DATA_DIR);
  const generation =
    options.generate === undefined
      ? undefined
      : // Loaded only for --generate: the SUT client, the tokenizer and the price table are not an enqueue's.
        await (await import('./enqueue-generate.ts')).prepareGeneration(files, {
          ...options,
          generate: options.generate,
          baseline: options.baseline ?? false,
          batch: options.batch ?? false,
          judge: stages.judge,
        });
  const input = generation ?? (await readInput(files, options));
  let { parsed } = input;
  const read = [...input.read];
  if (options.anchors) {
    // The anchors file is part of the dataset: its hash is in the manifest beside the samples'.
    const { file, anchors } = await readDatasetAnchors(options.anchors);
    parsed = withDatasetAnchors(parsed, anchors);
    read.push(file);
  }
  const images = await resolveDatasetImages(parsed);
  const check = checkDataset(parsed, stages.judge.family, stages.judge.critic?.family ?? null);
  if (check.errors.length > 0) {
    for (const error of check.errors.slice(0, MAX_ERRORS_SHOWN)) process.stderr.write(`${formatDatasetError(error)}\n`);
    if (check.errors.length > MAX_ERRORS_SHOWN) {
      process.stderr.write(`… and ${check.errors.length - MAX_ERRORS_SHOWN} more error(s)\n`);
    }
    if (!options.skipInvalid) {
      throw new CliError(
        `gavel enqueue: ${check.invalidLines} invalid line(s), nothing enqueued (fix them, or pass --skip-invalid to enqueue the ${check.valid.length} valid ones)`,
        1,
      );
    }
  }
  const samples = check.valid;
  if (samples.length === 0) throw new CliError('gavel enqueue: no valid sample to enqueue', 1);
  if (options.rubric && options.rubricFile) {
    throw new CliError('gavel enqueue: give --rubric (frozen) or --rubric-file (draft), not both', 2);
  }
  const rubrics = await pinRubrics(samples, options.rubricsDir, options.rubric, options.rubricFile);
  const runId = options.run ?? newRunId();
  const manifest = runManifest({
    runId,
    format: options.format,
    files: read,
    images: images.keys(),
    samples: samples.length,
    skippedInvalid: check.invalidLines,
    rubrics,
    stages: generation ? { ...stages, generate: generation.config } : stages,
  });
  // With OTEL_EXPORTER_OTLP_ENDPOINT set, each sample's trace starts here (its `gavel.enqueue` span).
  // Each root span is made in the root context and handed to its job explicitly: no AsyncLocalStorage.
  const tracing = startTelemetry({ serviceName: 'gavel-producer', contextPropagation: 'explicit' });
  const context = openContext();
  const bar = progressBar('enqueue');
  try {
    const result = await enqueueRun({
      store: context.store,
      sandbox: context.queues.sandbox,
      generate: context.queues.generate,
      manifest,
      samples,
      images: shownImages(samples, images),
      rubrics: [...rubrics.values()],
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.stop();
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ run_id: runId, samples: samples.length, queued: result.added, existed: result.existed, skipped_invalid: check.invalidLines })}\n`,
      );
    } else {
      const note = result.existed ? ` (run existed: ${result.added} sample(s) still needed a sandbox job)` : '';
      process.stderr.write(
        `enqueued ${samples.length} sample(s)${check.invalidLines ? `, skipped ${check.invalidLines} invalid line(s)` : ''}${note}\n`,
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
