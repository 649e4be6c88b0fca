import { contentText, type Sample } from '@gavel/core';

export interface SutMessage {
  role: 'system' | 'user';
  content: string;
}

/** What a HumanEval prompt is asked with: complete the function, code only. */
export const HUMANEVAL_INSTRUCTION =
  'Complete the Python function below. Reply with the code of the function body only (it is appended to the prompt as it is), in one ```python block.';

/**
 * The chat messages a sample's prompt is sent as: a HumanEval problem with the instruction to
 * complete it, any other prompt as the user's message alone. Pure; the same sample always gives
 * the same messages (the manifest pins everything else).
 */
export function sutMessages(sample: Pick<Sample, 'prompt' | 'metadata'>): SutMessage[] {
  const prompt = contentText(sample.prompt);
  if (sample.metadata?.format === 'humaneval') {
    return [
      { role: 'system', content: HUMANEVAL_INSTRUCTION },
      { role: 'user', content: prompt },
    ];
  }
  return [{ role: 'user', content: prompt }];
}
