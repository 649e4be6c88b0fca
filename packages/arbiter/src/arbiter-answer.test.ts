import { describe, expect, it } from 'vitest';
import { readJsonAnswer, readToolAnswer } from './arbiter-answer.ts';

const rubric = { criteria: [{ id: 'correctness', description: 'right', weight: 1, safety: false }] };
const input = {
  pass: false,
  score: 0.1,
  criteria: { correctness: { score: 0, finding: 'wrong city' } },
  rationale: 'Wrong city.',
};
const answer = {
  pass: false,
  score: 0.1,
  criteria: [{ id: 'correctness', score: 0, finding: 'wrong city' }],
  rationale: 'Wrong city.',
};

describe('the arbiter answer', () => {
  it("reads the record_verdict tool call's input into a verdict in rubric order", () => {
    const content = [
      { type: 'text', text: 'Let me record it.' },
      { type: 'tool_use', id: 'toolu_1', name: 'record_verdict', input },
    ];
    expect(readToolAnswer(content, rubric)).toEqual({ ok: true, answer });
  });
  it('names the missing field of a tool input, and refuses an answer without the tool call', () => {
    const { criteria: _drop, ...noCriteria } = input;
    const bad = readToolAnswer([{ type: 'tool_use', name: 'record_verdict', input: noCriteria }], rubric);
    expect(bad).toMatchObject({ ok: false, reason: expect.stringMatching(/at criteria: /) });
    expect(readToolAnswer([{ type: 'text', text: JSON.stringify(input) }], rubric)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no record_verdict tool call \(content: text\)/),
    });
  });
  it('reads a JSON text answer against the same schema', () => {
    expect(readJsonAnswer(JSON.stringify(input), rubric)).toEqual({ ok: true, answer });
    expect(readJsonAnswer('I think it passes.', rubric).ok).toBe(false);
  });
});
