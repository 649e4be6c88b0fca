import {
  type DatasetError,
  type HumanEvalProblem,
  humanEvalSample,
  type ParsedDataset,
  type Sut,
  toIdSafe,
} from '@gavel/core';
import { isCompressedPrecision } from '@gavel/judge';

/**
 * The n samples of each prompt (`gavel enqueue --generate N`): sample i of prompt p has id
 * `<p.id>-<i>`, the prompt's task id (so pass@k groups them) and seed `seed + i`. Pure.
 */
export function expandForGeneration(prompts: ParsedDataset, n: number, seed: number): ParsedDataset {
  const out: ParsedDataset = { samples: [], lines: [], errors: [...prompts.errors] };
  prompts.samples.forEach((prompt, p) => {
    const line = prompts.lines[p] ?? { file: '?', line: 0 };
    if (prompt.kind === 'pair') {
      out.errors.push({
        ...line,
        field: 'kind',
        message: 'a pair holds two outputs already; the SUT generates text or code samples',
      });
      return;
    }
    for (let i = 0; i < n; i++) {
      const suffix = `-${i}`;
      out.samples.push({
        ...prompt,
        id: `${prompt.id.slice(0, 128 - suffix.length)}${suffix}`,
        task_id: prompt.task_id ?? prompt.id,
        generation: { index: i, seed: seed + i },
      });
      out.lines.push(line);
    }
  });
  return out;
}

/**
 * HumanEval from the problems file alone: one prompt per problem, its output's fixed beginning the
 * problem's prompt (the completion is appended to it), its tests the problem's.
 */
export function humanEvalPrompts(
  problems: ReadonlyMap<string, HumanEvalProblem>,
  file: string,
  sut: Sut,
): ParsedDataset {
  const parsed: ParsedDataset = { samples: [], lines: [], errors: [] };
  let line = 0;
  for (const problem of problems.values()) {
    line += 1;
    parsed.samples.push(humanEvalSample(problem, '', toIdSafe(problem.task_id), sut));
    parsed.lines.push({ file, line });
  }
  return parsed;
}

/**
 * A native JSONL line as a prompt to generate from: it must not carry an `output` (the SUT writes
 * it), and its `sut`, when it names one, must be the SUT being asked. Returns the line ready for
 * the sample parser (output empty, sut filled in), or the error that names the field.
 */
export function promptLine(
  value: unknown,
  sut: Sut,
  at: { file: string; line: number },
): { value: Record<string, unknown> } | { error: DatasetError } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: { ...at, field: '(line)', message: 'expected a JSON object' } };
  }
  const row = value as Record<string, unknown>;
  if ('output' in row) {
    return {
      error: {
        ...at,
        field: 'output',
        message:
          'a prompt to generate from has no output (the system under test writes it); drop --generate to grade it',
      },
    };
  }
  const declared = row.sut as { model?: unknown } | undefined;
  if (declared !== undefined && (typeof declared !== 'object' || declared?.model !== sut.model)) {
    return {
      error: {
        ...at,
        field: 'sut.model',
        message: `the line names SUT ${JSON.stringify(declared?.model)}, but this run asks ${sut.model} (GAVEL_SUT_MODEL)`,
      },
    };
  }
  return { value: { ...row, output: '', sut } };
}

/**
 * The precision rule: the SUT runs at full weights. A SUT declared compressed (fp4, int4, fp8, …)
 * is refused unless it is declared an open-weight baseline. Returns the refusal, or undefined.
 */
export function precisionProblem(sut: Pick<Sut, 'model' | 'precision'>, baseline: boolean): string | undefined {
  if (!isCompressedPrecision(sut.precision) || baseline) return undefined;
  return `SUT ${sut.model} is declared ${sut.precision}: a system under test runs at full precision; only an open-weight baseline may run compressed (pass --baseline to grade it as one, recorded in the manifest)`;
}
