import { describe, expect, it } from 'vitest';
import { completionText } from './completion-text.ts';
import { HUMANEVAL_INSTRUCTION, sutMessages } from './sut-prompt.ts';

describe('the completion text a reply contributes', () => {
  it('takes the first fenced block of a chat reply', () => {
    expect(completionText('Sure:\n\n```python\n    return a + b\n```\nDone. ```py\nx\n```')).toBe('    return a + b\n');
    expect(completionText('```\n    return 1')).toBe('```\n    return 1'); // an unclosed fence is not a block
    expect(completionText('```python\n    return 1```')).toBe('    return 1\n');
  });

  it('keeps a bare reply as it is (its indentation is the function body)', () => {
    expect(completionText('    return a + b\n')).toBe('    return a + b\n');
    expect(completionText('')).toBe('');
  });
});

describe('the messages a prompt is sent as', () => {
  it('asks a HumanEval problem with the instruction, any other prompt alone', () => {
    expect(sutMessages({ prompt: 'def f():\n', metadata: { format: 'humaneval' } })).toEqual([
      { role: 'system', content: HUMANEVAL_INSTRUCTION },
      { role: 'user', content: 'def f():\n' },
    ]);
    expect(sutMessages({ prompt: 'What is 2 + 2?' })).toEqual([{ role: 'user', content: 'What is 2 + 2?' }]);
  });
});
