import { describe, expect, it } from 'vitest';
import { parseArbiterAnswer } from './arbiter-answer.ts';

describe('parseArbiterAnswer', () => {
  it('accepts a verdict-schema answer, fenced or not', () => {
    const answer = {
      pass: false,
      score: 0.1,
      criteria: [{ id: 'c', score: 0, finding: 'wrong' }],
      rationale: 'Wrong city.',
    };
    expect(parseArbiterAnswer(JSON.stringify(answer))).toEqual({ ok: true, answer });
    expect(parseArbiterAnswer(`\`\`\`json\n${JSON.stringify(answer)}\n\`\`\``)).toEqual({ ok: true, answer });
  });
  it('names the field that breaks the schema, and refuses non-JSON', () => {
    const bad = parseArbiterAnswer(JSON.stringify({ pass: 'yes', score: 0.1, criteria: [], rationale: 'x' }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/at pass/);
    const prose = parseArbiterAnswer('I think it passes.');
    expect(prose.ok).toBe(false);
  });
});
