/**
 * The budget guard of a generate run, before anything is sent: prompt tokens (counted by the
 * server's tokenizer where it offers one, else approximated), the most output tokens the run may
 * use (n × max_tokens per prompt) and, with a price, the most it may cost.
 */
export interface SutEstimate {
  prompts: number;
  completions: number;
  /** Prompt tokens of every completion (each prompt counted once per completion). */
  prompt_tokens: number;
  counted: 'tokenizer' | 'approximation';
  /** An upper bound: every completion at max_tokens. */
  max_output_tokens: number;
  /** Upper bound in USD, or null without a price for the model. */
  cost_usd: number | null;
  /** Share of the list price paid: 1 on demand, the price's batch share (0.5 by default) in a batch. */
  price_share: number;
}

export interface TokenPrice {
  input_per_mtok: number;
  output_per_mtok: number;
  /** Share of the on-demand price a batch pays. */
  batch?: number;
}

/**
 * The approximation used when the server has no tokenizer endpoint: one token per 4 characters of
 * text (OpenAI's rule of thumb for English) rounded up, plus 4 tokens per message for the chat
 * template's role markers. It is an estimate, not a bound: code and non-English text run denser.
 */
export function approximateTokens(messages: readonly { content: string }[]): number {
  return messages.reduce((sum, m) => sum + Math.ceil(m.content.length / 4) + 4, 0);
}

/** Pure: the estimate from per-prompt token counts. */
export function estimateRun(input: {
  promptTokens: readonly number[];
  counted: SutEstimate['counted'];
  n: number;
  maxTokens: number;
  price: TokenPrice | undefined;
  batch: boolean;
}): SutEstimate {
  const perCompletion = input.promptTokens.reduce((s, t) => s + t, 0);
  const completions = input.promptTokens.length * input.n;
  const promptTokens = perCompletion * input.n;
  const maxOutput = completions * input.maxTokens;
  const price = input.price;
  const share = input.batch ? (price?.batch ?? 0.5) : 1;
  return {
    prompts: input.promptTokens.length,
    completions,
    prompt_tokens: promptTokens,
    counted: input.counted,
    max_output_tokens: maxOutput,
    cost_usd: price
      ? ((promptTokens * price.input_per_mtok + maxOutput * price.output_per_mtok) / 1_000_000) * share
      : null,
    price_share: share,
  };
}

/** The line `gavel enqueue --generate` prints before anything is sent. */
export function formatEstimate(e: SutEstimate, model: string, price: TokenPrice | undefined): string {
  const cost =
    e.cost_usd === null
      ? `no price for ${model} (GAVEL_PRICES_FILE)`
      : `at most $${e.cost_usd.toFixed(4)} ($${price?.input_per_mtok}/$${price?.output_per_mtok} per Mtok in/out${e.price_share === 1 ? '' : `, batch price: ${Math.round(e.price_share * 100)}% of that`})`;
  return `estimate: ${e.prompts} prompts × ${e.completions / Math.max(1, e.prompts)} = ${e.completions} completions of ${model}; ${e.prompt_tokens} prompt tokens (${e.counted === 'tokenizer' ? "the server's tokenizer" : 'approximated: 4 characters a token'}), at most ${e.max_output_tokens} output tokens; ${cost}`;
}

/** The refusal of a run whose estimate exceeds `--max-cost`, or undefined. */
export function budgetProblem(e: SutEstimate, maxCostUsd: number | undefined, model: string): string | undefined {
  if (maxCostUsd === undefined) return undefined;
  if (e.cost_usd === null) {
    return `--max-cost ${maxCostUsd}: no price for ${model} in the price table, so the cost cannot be bounded; add it to GAVEL_PRICES_FILE`;
  }
  if (e.cost_usd > maxCostUsd) {
    return `--max-cost ${maxCostUsd}: the run may cost up to $${e.cost_usd.toFixed(4)}, above the budget; nothing was sent (lower --generate, --max-tokens or the dataset, or raise --max-cost)`;
  }
  return undefined;
}
