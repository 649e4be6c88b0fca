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
