import { type ChatMessage, messageText } from './prompt-layout.ts';
/** The context window a server offers, checked against what the judge needs. */
export function contextWindowProblem(server: string, window: number | undefined, needed: number): string | undefined {
  if (window === undefined || !Number.isFinite(window)) {
    return `${server}: cannot read the effective context window, so silent truncation cannot be ruled out; refusing to start`;
  }
  if (window < needed) {
    return `${server}: effective context window is ${window} tokens, below GAVEL_JUDGE_CONTEXT=${needed}; long prompts would be cut silently — raise the server's window (vLLM --max-model-len, Ollama num_ctx) or lower GAVEL_JUDGE_CONTEXT`;
  }
  return undefined;
}

/** Why a prompt cannot be sent (it would not fit with room for the answer), or undefined. */
export function promptFitProblem(promptTokens: number, maxOutputTokens: number, window: number): string | undefined {
  if (promptTokens + maxOutputTokens <= window) return undefined;
  return `the prompt has ${promptTokens} tokens; with ${maxOutputTokens} for the answer it does not fit the ${window}-token context window`;
}

/**
 * Compares the prompt tokens the server reports with the expected count. With an exact count
 * (the server's tokenizer) any shortfall means the prompt was cut; with an estimate (a lower
 * bound) a shortfall below it, or a prompt that left no room for the answer, does.
 */
export function truncationProblem(
  expected: { tokens: number; exact: boolean },
  reported: number,
  window: number,
  maxOutputTokens: number,
): string | undefined {
  if (reported < expected.tokens) {
    return `the server processed ${reported} prompt tokens but the prompt has ${expected.exact ? '' : 'at least '}${expected.tokens}: it was cut (silent truncation); a cut prompt is never graded`;
  }
  if (!expected.exact && reported + maxOutputTokens > window) {
    return `the server processed ${reported} prompt tokens, filling the ${window}-token window: the prompt was cut or is too long; a cut prompt is never graded`;
  }
  return undefined;
}

/**
 * A conservative lower bound on a prompt's tokens when the server has no tokenizer endpoint
 * (Ollama): BPE tokenizers average 3–5 UTF-8 bytes per token on prose and code, so 8 leaves room.
 */
export function minimumTokens(messages: readonly ChatMessage[]): number {
  const bytes = messages.reduce((sum, m) => sum + Buffer.byteLength(messageText(m), 'utf8'), 0);
  return Math.floor(bytes / 8);
}
