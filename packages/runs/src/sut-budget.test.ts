import { describe, expect, it } from 'vitest';
import { approximateTokens, budgetProblem, estimateRun, formatEstimate } from './sut-budget.ts';

describe('the budget guard', () => {
  it('approximates 4 characters a token plus 4 a message', () => {
    // "abcdefghi" = 9 characters → ⌈9/4⌉ = 3, + 4 = 7; "" → 0 + 4 = 4.
    expect(approximateTokens([{ content: 'abcdefghi' }, { content: '' }])).toBe(11);
  });

  it('bounds the cost by hand: n × prompt tokens at the input price, n × max_tokens at the output price', () => {
    // Two prompts of 100 and 300 tokens, n = 5, max_tokens 200, $3 / $15 per Mtok:
    // prompt tokens 5 × 400 = 2000 → $0.006; output ≤ 10 × 200 = 2000 → $0.03; total $0.036.
    const e = estimateRun({
      promptTokens: [100, 300],
      counted: 'tokenizer',
      n: 5,
      maxTokens: 200,
      price: { input_per_mtok: 3, output_per_mtok: 15 },
      batch: false,
    });
    expect(e).toMatchObject({ prompts: 2, completions: 10, prompt_tokens: 2000, max_output_tokens: 2000 });
    expect(e.cost_usd).toBeCloseTo(0.036, 12);
    // In a batch, half of it (the default batch share).
    const batch = estimateRun({
      promptTokens: [100, 300],
      counted: 'tokenizer',
      n: 5,
      maxTokens: 200,
      price: { input_per_mtok: 3, output_per_mtok: 15 },
      batch: true,
    });
    expect(batch.cost_usd).toBeCloseTo(0.018, 12);
    expect(formatEstimate(batch, 'm', { input_per_mtok: 3, output_per_mtok: 15 })).toBe(
      "estimate: 2 prompts × 5 = 10 completions of m; 2000 prompt tokens (the server's tokenizer), at most 2000 output tokens; at most $0.0180 ($3/$15 per Mtok in/out, batch price: 50% of that)",
    );
    expect(formatEstimate(e, 'm', { input_per_mtok: 3, output_per_mtok: 15 })).toBe(
      "estimate: 2 prompts × 5 = 10 completions of m; 2000 prompt tokens (the server's tokenizer), at most 2000 output tokens; at most $0.0360 ($3/$15 per Mtok in/out)",
    );
  });

  it('refuses a run above --max-cost, and one it cannot price', () => {
    const e = estimateRun({
      promptTokens: [100, 300],
      counted: 'approximation',
      n: 5,
      maxTokens: 200,
      price: { input_per_mtok: 3, output_per_mtok: 15 },
      batch: false,
    });
    expect(budgetProblem(e, 0.05, 'm')).toBeUndefined();
    expect(budgetProblem(e, undefined, 'm')).toBeUndefined();
    expect(budgetProblem(e, 0.03, 'm')).toMatch(/may cost up to \$0\.0360, above the budget; nothing was sent/);
    const unpriced = estimateRun({
      promptTokens: [1],
      counted: 'approximation',
      n: 1,
      maxTokens: 1,
      price: undefined,
      batch: false,
    });
    expect(unpriced.cost_usd).toBeNull();
    expect(budgetProblem(unpriced, 10, 'm')).toMatch(/no price for m in the price table/);
  });
});
