/**
 * What the fake SUT answers to a HumanEval prompt, decided by the task's number and the request's
 * seed so a test can count by hand which completions are right: the problem's canonical solution
 * (in a ```python fence for even seeds, bare for odd ones, as chat models answer either way), a
 * wrong body that raises, or — cut by the token limit (finish_reason `length`) — a wrong body cut
 * mid-expression.
 */
import type { HumanEvalProblem } from '@gavel/core';
import type { SutPolicy } from './openai-sut-server.ts';

export type HumanEvalOutcome = 'correct' | 'wrong' | 'cut';

/** The outcome of task `task` (its number in `HumanEval/<task>`) asked with `seed`. */
export function humanEvalOutcome(task: number, seed: number): HumanEvalOutcome {
  if ((task + seed) % 9 === 0) return 'cut';
  if ((task * 7 + seed) % 4 === 0) return 'wrong';
  return 'correct';
}

export function humanEvalPolicy(problems: readonly HumanEvalProblem[]): SutPolicy {
  const byPrompt = new Map(problems.map((p) => [p.prompt, p]));
  return ({ messages, seed }) => {
    const prompt = messages.at(-1)?.content ?? '';
    const problem = byPrompt.get(prompt);
    if (!problem) return { content: 'I do not know this problem.' };
    const task = Number(problem.task_id.split('/')[1]);
    const s = seed ?? 0;
    switch (humanEvalOutcome(task, s)) {
      case 'cut':
        return { content: '    raise NotImplementedError(', cut: true };
      case 'wrong':
        return { content: '```python\n    raise NotImplementedError("wrong on purpose")\n```' };
      case 'correct': {
        const body = problem.canonical_solution ?? '';
        return { content: s % 2 === 0 ? `Here it is:\n\n\`\`\`python\n${body}\`\`\`\n` : body };
      }
    }
  };
}
