import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { CandidatesLine, expandCandidates } from './candidates.ts';
import { toIdSafe } from './ids.ts';
import { type PointwiseSample, Sample, type Sut } from './sample.ts';

/** One bad input line: printed as `file:line: field: message`. */
export interface DatasetError {
  file: string;
  line: number;
  field: string;
  message: string;
}

export function formatDatasetError(error: DatasetError): string {
  return `${error.file}:${error.line}: ${error.field}: ${error.message}`;
}

export interface DatasetFile {
  path: string;
  /** sha256 of the file's bytes as stored (compressed or not). */
  sha256: string;
  text: string;
}

export interface ParsedDataset<S extends Sample = Sample> {
  samples: S[];
  /** Dataset line of each sample (same order as `samples`). */
  lines: { file: string; line: number }[];
  errors: DatasetError[];
}

/** Reads a dataset file, gunzipping it when it starts with the gzip magic bytes. */
export async function readDatasetFile(path: string): Promise<DatasetFile> {
  const bytes = await readFile(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const gzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  const text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
  return { path, sha256, text };
}

/**
 * The dataset hash recorded in the manifest: sha256 over the files' hashes, in order, then over the
 * sha256 of every image the dataset shows (sorted; `image <hex>` lines), so an image file changed
 * behind the same path changes the hash. Without images it is the files' hash alone (as before
 * images existed: older manifests still verify).
 */
export function datasetHash(files: readonly DatasetFile[], imageHashes: Iterable<string> = []): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.sha256}\n`);
  for (const image of [...new Set(imageHashes)].sort()) hash.update(`image ${image}\n`);
  return hash.digest('hex');
}

function* jsonLines(file: DatasetFile): Generator<{ line: number; value?: unknown; error?: string }> {
  const lines = file.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]?.trim() ?? '';
    if (raw === '') continue;
    try {
      yield { line: i + 1, value: JSON.parse(raw) };
    } catch (error) {
      yield { line: i + 1, error: `not valid JSON (${(error as Error).message})` };
    }
  }
}

function issuesToErrors(file: string, line: number, issues: readonly z.core.$ZodIssue[]): DatasetError[] {
  return issues.map((issue) => ({
    file,
    line,
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(line)',
    message: issueMessage(issue),
  }));
}

/** zod nests the reason of a bad record key or union member one level down: surface it. */
function issueMessage(issue: z.core.$ZodIssue): string {
  const inner = 'issues' in issue && Array.isArray(issue.issues) ? (issue.issues as z.core.$ZodIssue[])[0] : undefined;
  return inner ? `${issue.message}: ${inner.message}` : issue.message;
}

function checkDuplicates<S extends Sample>(parsed: ParsedDataset<S>): void {
  const seen = new Map<string, number>();
  const keep: number[] = [];
  parsed.samples.forEach((sample, i) => {
    const at = parsed.lines[i];
    if (!at) return;
    const first = seen.get(sample.id);
    if (first !== undefined) {
      parsed.errors.push({
        file: at.file,
        line: at.line,
        field: 'id',
        message: `duplicate id "${sample.id}" (first on line ${first})`,
      });
    } else {
      seen.set(sample.id, at.line);
      keep.push(i);
    }
  });
  parsed.samples = keep.map((i) => parsed.samples[i] as S);
  parsed.lines = keep.map((i) => parsed.lines[i] as { file: string; line: number });
  parsed.errors.sort((a, b) => a.line - b.line);
}

/** Parses native JSONL line by line, for a reader that never holds the whole text (an HTTP body). */
export interface NativeJsonlParser {
  /** One line of the dataset (1-based number, raw text); blank lines are skipped. */
  line(line: number, raw: string): void;
  /** Everything parsed, the duplicate ids among it reported. Call once. */
  finish(): ParsedDataset;
}

/** A {@link NativeJsonlParser}: the same checks as {@link parseNativeJsonl}, fed one line at a time. */
export function nativeJsonlParser(path: string): NativeJsonlParser {
  const parsed: ParsedDataset = { samples: [], lines: [], errors: [] };
  return {
    line(line, raw) {
      const text = raw.trim();
      if (text === '') return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        parsed.errors.push({
          file: path,
          line,
          field: '(line)',
          message: `not valid JSON (${(error as Error).message})`,
        });
        return;
      }
      if (value && typeof value === 'object' && (value as { kind?: unknown }).kind === 'candidates') {
        const set = CandidatesLine.safeParse(value);
        if (!set.success) {
          parsed.errors.push(...issuesToErrors(path, line, set.error.issues));
          return;
        }
        for (const sample of expandCandidates(set.data)) {
          parsed.samples.push(sample);
          parsed.lines.push({ file: path, line });
        }
        return;
      }
      const result = Sample.safeParse(value);
      if (result.success) {
        parsed.samples.push(result.data);
        parsed.lines.push({ file: path, line });
      } else {
        parsed.errors.push(...issuesToErrors(path, line, result.error.issues));
      }
    },
    finish() {
      checkDuplicates(parsed);
      return parsed;
    },
  };
}

/** Native JSONL: one {@link Sample} per line. Every line is validated; nothing is dropped silently. */
export function parseNativeJsonl(file: DatasetFile): ParsedDataset {
  const parser = nativeJsonlParser(file.path);
  const lines = file.text.split('\n');
  for (let i = 0; i < lines.length; i++) parser.line(i + 1, lines[i] ?? '');
  return parser.finish();
}

/** A HumanEval problem (HumanEval.jsonl). */
export const HumanEvalProblem = z.object({
  task_id: z.string().min(1),
  prompt: z.string(),
  canonical_solution: z.string().optional(),
  test: z.string().min(1),
  entry_point: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python identifier'),
});
export type HumanEvalProblem = z.infer<typeof HumanEvalProblem>;

/** A line of HumanEval's own samples format. */
export const HumanEvalSampleLine = z.object({
  task_id: z.string().min(1),
  completion: z.string(),
  sample_id: z.string().min(1).optional(),
});

export function parseHumanEvalProblems(file: DatasetFile): {
  problems: Map<string, HumanEvalProblem>;
  errors: DatasetError[];
} {
  const problems = new Map<string, HumanEvalProblem>();
  const errors: DatasetError[] = [];
  for (const entry of jsonLines(file)) {
    if (entry.error !== undefined) {
      errors.push({ file: file.path, line: entry.line, field: '(line)', message: entry.error });
      continue;
    }
    const result = HumanEvalProblem.safeParse(entry.value);
    if (result.success) problems.set(result.data.task_id, result.data);
    else errors.push(...issuesToErrors(file.path, entry.line, result.error.issues));
  }
  return { problems, errors };
}

/**
 * The program under test and the tests of a HumanEval sample: the problem's prompt + the
 * completion, and the problem's `test` followed by `check(<entry_point>)`.
 */
export function humanEvalSample(problem: HumanEvalProblem, completion: string, id: string, sut: Sut): PointwiseSample {
  return {
    id,
    kind: 'code',
    task_id: problem.task_id,
    prompt: problem.prompt,
    output: problem.prompt + completion,
    tests: `${problem.test}\n\ncheck(${problem.entry_point})\n`,
    expected_tests: 1,
    language: 'python',
    sut,
    metadata: { entry_point: problem.entry_point, format: 'humaneval' },
  };
}

/** HumanEval's samples format: `{task_id, completion, sample_id?}` per line, joined with the problems. */
export function parseHumanEvalSamples(
  problems: ReadonlyMap<string, HumanEvalProblem>,
  file: DatasetFile,
  sut: Sut,
): ParsedDataset<PointwiseSample> {
  const parsed: ParsedDataset<PointwiseSample> = { samples: [], lines: [], errors: [] };
  for (const entry of jsonLines(file)) {
    if (entry.error !== undefined) {
      parsed.errors.push({ file: file.path, line: entry.line, field: '(line)', message: entry.error });
      continue;
    }
    const result = HumanEvalSampleLine.safeParse(entry.value);
    if (!result.success) {
      parsed.errors.push(...issuesToErrors(file.path, entry.line, result.error.issues));
      continue;
    }
    const problem = problems.get(result.data.task_id);
    if (!problem) {
      parsed.errors.push({
        file: file.path,
        line: entry.line,
        field: 'task_id',
        message: `unknown task "${result.data.task_id}" (not in the problems file)`,
      });
      continue;
    }
    const id = toIdSafe(result.data.sample_id ?? `${result.data.task_id}-${entry.line}`);
    parsed.samples.push(humanEvalSample(problem, result.data.completion, id, sut));
    parsed.lines.push({ file: file.path, line: entry.line });
  }
  checkDuplicates(parsed);
  return parsed;
}
