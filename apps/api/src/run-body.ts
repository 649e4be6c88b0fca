import { createHash } from 'node:crypto';
import { type DatasetFile, type ParsedDataset, parseHumanEvalProblems, parseHumanEvalSamples, Sut } from '@gavel/core';
import { z } from '@hono/zod-openapi';
import { type LineProblem, lineProblem } from './problem.ts';

/** `application/json` body of `POST /v1/runs`: HumanEval completions (problems default to the bundled 164). */
export const HumanEvalRunBody = z
  .object({
    format: z.literal('humaneval'),
    problems: z
      .array(z.record(z.string(), z.unknown()))
      .optional()
      .describe(
        'HumanEval problems ({task_id, prompt, test, entry_point}); the bundled HumanEval.jsonl.gz when absent',
      ),
    samples: z.array(z.record(z.string(), z.unknown())).describe('{task_id, completion, sample_id?} per sample'),
    sut: Sut,
  })
  .openapi('HumanEvalRunBody');
export type HumanEvalRunBody = z.infer<typeof HumanEvalRunBody>;

/** A body parsed as the producer parses a dataset, with the files whose hashes make the dataset hash. */
export interface ParsedBody {
  format: 'jsonl' | 'humaneval';
  parsed: ParsedDataset;
  files: DatasetFile[];
}

function jsonlFile(path: string, rows: readonly unknown[]): DatasetFile {
  const text = `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
  return { path, sha256: createHash('sha256').update(text).digest('hex'), text };
}

/** Pure: an NDJSON body already parsed line by line (line numbers are the body's). */
export function ndjsonBody(parsed: ParsedDataset, sha256: string): ParsedBody {
  return { format: 'jsonl', parsed, files: [{ path: 'body', sha256, text: '' }] };
}

/**
 * Pure: a HumanEval JSON body. Each element of `problems` and `samples` is parsed as the line of the
 * same number (1-based) of the files `gavel enqueue --format humaneval` reads.
 */
export function parseHumanEvalBody(
  json: unknown,
  bundledProblems: DatasetFile,
): { ok: true; body: ParsedBody } | { ok: false; errors: LineProblem[] } {
  const body = HumanEvalRunBody.safeParse(json);
  if (!body.success) {
    return {
      ok: false,
      errors: body.error.issues.map((issue) => ({
        line: null,
        field: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      })),
    };
  }
  const problemsFile = body.data.problems ? jsonlFile('problems', body.data.problems) : bundledProblems;
  const samplesFile = jsonlFile('samples', body.data.samples);
  const { problems, errors } = parseHumanEvalProblems(problemsFile);
  const parsed = parseHumanEvalSamples(problems, samplesFile, body.data.sut);
  parsed.errors.unshift(...errors);
  return { ok: true, body: { format: 'humaneval', parsed, files: [problemsFile, samplesFile] } };
}

/** The line problems of a dataset check, each naming the part of the body it is in. */
export function bodyProblems(format: ParsedBody['format'], errors: ParsedDataset['errors']): LineProblem[] {
  return errors.map((e) => lineProblem(e, format === 'jsonl' ? undefined : e.file));
}
