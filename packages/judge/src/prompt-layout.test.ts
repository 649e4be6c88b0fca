import { join } from 'node:path';
import type { Facts, Sample } from '@gavel/core';
import { loadRubric } from '@gavel/rubric';
import { describe, expect, it } from 'vitest';
import { buildJudgePrompt, canonicalJson } from './prompt-layout.ts';

const LIBRARY = join(import.meta.dirname, '../../../rubrics');

const sample: Sample = {
  id: 's-1',
  kind: 'text',
  prompt: 'What is the capital of France?',
  output: 'Paris',
  reference: ['Paris'],
  sut: { model: 'acme-7b', family: 'acme' },
};
const facts: Facts = {
  kind: 'text',
  reference: { exact_match: true, f1: 1, references: 1 },
  tests: null,
  ruff: null,
  pyright: null,
  exit_code: null,
  duration_ms: 0,
  timed_out: false,
  oom_killed: false,
  output_truncated: false,
  fabricated_claim: [],
  sandbox: null,
};

describe('judge prompt layout', () => {
  it('puts the rubric file, byte for byte, first; then facts; then task and output', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer');
    const [system, user] = buildJudgePrompt(rubric, sample, facts);
    expect(system).toEqual({ role: 'system', content: rubric.text });
    const content = user?.content ?? '';
    const at = (s: string) => content.indexOf(s);
    expect(at('## Facts')).toBe(0);
    expect(at('## Facts')).toBeLessThan(at('## Task'));
    expect(at('## Task')).toBeLessThan(at('<output>\nParis\n</output>'));
    expect(content).toContain(canonicalJson(facts));
  });

  it('writes the same facts as the same bytes whatever their key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}',
    );
  });

  it('refuses a rubric whose bytes do not match the pinned hash', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer');
    const drifted = { ...rubric, text: `${rubric.text} ` };
    expect(() => buildJudgePrompt(drifted, sample, facts)).toThrow(/does not match the pinned/);
  });

  it('checks the bytes again when a rubric already checked changes its text', async () => {
    const rubric = { ...(await loadRubric(LIBRARY, 'text-answer')) };
    expect(buildJudgePrompt(rubric, sample, facts)[0]?.content).toBe(rubric.text);
    rubric.text = `${rubric.text} `;
    expect(() => buildJudgePrompt(rubric, sample, facts)).toThrow(/does not match the pinned/);
  });
});
