import type { ChatMessage } from './prompt-layout.ts';

export interface JudgeRequest {
  messages: ChatMessage[];
  temperature: number;
  seed: number;
  maxOutputTokens: number;
  /** JSON schema the answer must follow. */
  schema: Record<string, unknown>;
}

export interface JudgeReply {
  content: string;
  /** Prompt tokens the server says it processed (`usage.prompt_tokens` / `prompt_eval_count`). */
  promptTokens: number;
  outputTokens: number;
  cachedTokens: number;
  finishReason: string | undefined;
}

/** A verdict's `usage` from the judge replies it was built from (the judge writes no cache itself). */
export function judgeUsage(replies: readonly JudgeReply[]): {
  input: number;
  output: number;
  cache_write: number;
  cache_read: number;
} {
  return {
    input: replies.reduce((s, r) => s + r.promptTokens, 0),
    output: replies.reduce((s, r) => s + r.outputTokens, 0),
    cache_write: 0,
    cache_read: replies.reduce((s, r) => s + r.cachedTokens, 0),
  };
}

export interface PromptCount {
  tokens: number;
  /** True when counted by the server's own tokenizer; false for an estimate (a lower bound). */
  exact: boolean;
  /** The window the server reports for this request. */
  window: number;
}

/** One judge server (vLLM or Ollama) behind the grader. */
export interface JudgeBackend {
  readonly path: 'vllm' | 'ollama';
  /**
   * Reads the effective context window and throws a `ConfigError` when it is below the
   * configured one (the silent-truncation trap is refused at start-up).
   */
  checkContextWindow(signal: AbortSignal): Promise<number>;
  /**
   * Throws a `ConfigError` when the served model does not take images (checked at start-up with
   * `GAVEL_JUDGE_VISION=1`, so an image pair never meets a text-only judge).
   */
  checkVision(signal: AbortSignal): Promise<void>;
  countPrompt(messages: ChatMessage[], signal: AbortSignal): Promise<PromptCount>;
  complete(request: JudgeRequest, signal: AbortSignal): Promise<JudgeReply>;
}
