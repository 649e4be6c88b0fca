import { DEFAULT_PRICES, readPrices } from '@gavel/arbiter';
import {
  type DatasetError,
  type DatasetFile,
  type GenerateRunConfig,
  type JudgeRunConfig,
  nativeJsonlParser,
  type ParsedDataset,
  parseHumanEvalProblems,
  readDatasetFile,
  type Sample,
  Sut,
} from '@gavel/core';
import { countWithTokenizer, loadSutConfig, type SutConfig, sutMessages } from '@gavel/generate';
import { checkFamilyClash } from '@gavel/judge';
import {
  approximateTokens,
  budgetProblem,
  estimateRun,
  expandForGeneration,
  formatEstimate,
  humanEvalPrompts,
  precisionProblem,
  promptLine,
  type TokenPrice,
} from '@gavel/runs';
import { CliError } from '../cli-error.ts';

/** The `gavel enqueue` options of a generate run. */
export interface GenerateOptions {
  format: 'jsonl' | 'humaneval';
  problems?: string;
  generate: number;
  temperature?: number;
  seed?: number;
  maxTokens?: number;
  maxCost?: number;
  baseline: boolean;
  /** Through the endpoint's OpenAI Batch API: the estimate at the price table's batch share. */
  batch: boolean;
  sutFamily?: string;
  sutPrecision?: string;
  /** The run's judge and critic: one of the SUT's family refuses the whole run with one line. */
  judge?: Pick<JudgeRunConfig, 'family' | 'critic'>;
}

/** The SUT a generate run asks: the endpoint from GAVEL_SUT_*, its family and precision from the flags. */
function sutOf(options: GenerateOptions): { config: SutConfig; sut: Sut } {
  const config = loadSutConfig(process.env);
  if (!config)
    throw new CliError('gavel enqueue --generate: set GAVEL_SUT_URL and GAVEL_SUT_MODEL (the system under test)', 2);
  const sut = Sut.safeParse({ model: config.model, family: options.sutFamily, precision: options.sutPrecision });
  if (!sut.success)
    throw new CliError('gavel enqueue --generate needs --sut-family (the model family of GAVEL_SUT_MODEL)', 2);
  const problem = precisionProblem(sut.data, options.baseline);
  if (problem) throw new CliError(`gavel enqueue: ${problem}`, 1);
  // Every sample of a generate run has this SUT: a clash is the run's, said once, not line by line.
  const clash =
    checkFamilyClash(options.judge?.family, sut.data) ??
    checkFamilyClash(options.judge?.critic?.family, sut.data, 'critic');
  if (clash) throw new CliError(`gavel enqueue: ${clash}`, 1);
  return { config, sut: sut.data };
}

async function readPrompts(
  files: string[],
  options: GenerateOptions,
  sut: Sut,
): Promise<{ parsed: ParsedDataset; read: DatasetFile[] }> {
  if (options.format === 'humaneval') {
    const path = options.problems ?? files[0];
    if (!path)
      throw new CliError('gavel enqueue --format humaneval --generate N needs --problems HumanEval.jsonl[.gz]', 2);
    const file = await readDatasetFile(path);
    const { problems, errors } = parseHumanEvalProblems(file);
    const parsed = humanEvalPrompts(problems, file.path, sut);
    parsed.errors.unshift(...errors);
    return { parsed, read: [file] };
  }
  if (files.length === 0)
    throw new CliError('gavel enqueue --generate: name a prompts file (JSONL, optionally .gz)', 2);
  const read = await Promise.all(files.map((f) => readDatasetFile(f)));
  const parsed: ParsedDataset = { samples: [], lines: [], errors: [] };
  for (const file of read) {
    const parser = nativeJsonlParser(file.path);
    const extra: DatasetError[] = [];
    file.text.split('\n').forEach((raw, i) => {
      const text = raw.trim();
      if (text === '') return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        parser.line(i + 1, text); // the parser reports it as invalid JSON
        return;
      }
      const prompt = promptLine(value, sut, { file: file.path, line: i + 1 });
      if ('error' in prompt) extra.push(prompt.error);
      else parser.line(i + 1, JSON.stringify(prompt.value));
    });
    const one = parser.finish();
    parsed.samples.push(...one.samples);
    parsed.lines.push(...one.lines);
    parsed.errors.push(...one.errors, ...extra);
  }
  return { parsed, read };
}

function priceOf(model: string): TokenPrice | undefined {
  const path = process.env.GAVEL_PRICES_FILE;
  const table = path ? readPrices(path) : DEFAULT_PRICES;
  return table[model];
}

/**
 * Reads the prompts of a generate run, expands them to n samples each, and runs the budget guard
 * before anything is sent: the estimate is printed, and a run above `--max-cost` is refused.
 */
export async function prepareGeneration(
  files: string[],
  options: GenerateOptions,
): Promise<{ parsed: ParsedDataset; read: DatasetFile[]; config: GenerateRunConfig }> {
  if (!Number.isInteger(options.generate) || options.generate < 1) {
    throw new CliError(`--generate ${options.generate}: completions per prompt must be a positive integer`, 2);
  }
  const { config: sutConfig, sut } = sutOf(options);
  const { parsed: prompts, read } = await readPrompts(files, options, sut);
  const n = options.generate;
  const seed = options.seed ?? 0;
  // Chen et al. 2021 sample at T = 0.8 for pass@k with k > 1; a single completion is asked greedily.
  const temperature = options.temperature ?? (n > 1 ? 0.8 : 0);
  const maxTokens = options.maxTokens ?? 1024;
  const messages = prompts.samples.map((s: Sample) => sutMessages(s));
  // A SUT served on gavel's own card runs only while generate jobs wait: it may well be down now.
  const counted = await countWithTokenizer(sutConfig, messages, {
    signal: AbortSignal.timeout(300_000),
    unreachable: sutConfig.gpuGate ? 'approximate' : 'refuse',
  });
  const price = priceOf(sutConfig.model);
  const estimate = estimateRun({
    promptTokens: counted ?? messages.map((m) => approximateTokens(m)),
    counted: counted ? 'tokenizer' : 'approximation',
    n,
    maxTokens,
    price,
    batch: options.batch,
  });
  process.stderr.write(`${formatEstimate(estimate, sutConfig.model, price)}\n`);
  const refusal = budgetProblem(estimate, options.maxCost, sutConfig.model);
  if (refusal) throw new CliError(`gavel enqueue: ${refusal}`, 1);
  return {
    parsed: expandForGeneration(prompts, n, seed),
    read,
    config: {
      mode: options.batch ? 'openai-batch' : 'openai-compatible',
      endpoint: sutConfig.url,
      model: sutConfig.model,
      family: sut.family,
      precision: sut.precision ?? null,
      baseline: options.baseline,
      n,
      temperature,
      seed,
      max_tokens: maxTokens,
      estimate: {
        prompt_tokens: estimate.prompt_tokens,
        counted: estimate.counted,
        max_output_tokens: estimate.max_output_tokens,
        cost_usd: estimate.cost_usd,
        max_cost_usd: options.maxCost ?? null,
      },
    },
  };
}
