import { describe, expect, it } from 'vitest';
import { contextWindowProblem, promptFitProblem, truncationProblem } from './context-guard.ts';

describe('context guard', () => {
  it('refuses a window below the configured context, or one it cannot read', () => {
    expect(contextWindowProblem('vLLM', 8192, 16384)).toMatch(/8192 tokens, below GAVEL_JUDGE_CONTEXT=16384/);
    expect(contextWindowProblem('Ollama', undefined, 16384)).toMatch(/cannot read the effective context window/);
    expect(contextWindowProblem('vLLM', 32768, 16384)).toBeUndefined();
  });

  it('refuses a prompt that leaves no room for the answer', () => {
    expect(promptFitProblem(15_500, 1024, 16_384)).toMatch(/does not fit/);
    expect(promptFitProblem(15_360, 1024, 16_384)).toBeUndefined();
  });

  it('catches a cut prompt from an exact count and from an estimate', () => {
    expect(truncationProblem({ tokens: 5000, exact: true }, 4096, 16_384, 1024)).toMatch(
      /processed 4096 prompt tokens but the prompt has 5000/,
    );
    expect(truncationProblem({ tokens: 5000, exact: true }, 5000, 16_384, 1024)).toBeUndefined();
    // An estimate is a lower bound: more reported is fine, a full window is not.
    expect(truncationProblem({ tokens: 1000, exact: false }, 3000, 16_384, 1024)).toBeUndefined();
    expect(truncationProblem({ tokens: 1000, exact: false }, 4096, 4096, 1024)).toMatch(
      /filling the 4096-token window/,
    );
  });
});
