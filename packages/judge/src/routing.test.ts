import { join } from 'node:path';
import type { Facts, GraderAnswer } from '@gavel/core';
import { loadRubric } from '@gavel/rubric';
import { describe, expect, it } from 'vitest';
import { route } from './routing.ts';

const LIBRARY = join(import.meta.dirname, '../../../rubrics');
const routing = { min_agreement: 0.8, threshold_margin: 0.05 };

function facts(overrides: Partial<Facts> = {}): Facts {
  return {
    kind: 'text',
    reference: { exact_match: true, f1: 1, references: 1 },
    tests: null,
    ruff: null,
    pyright: null,
    exit_code: null,
    duration_ms: 1,
    timed_out: false,
    oom_killed: false,
    output_truncated: false,
    fabricated_claim: [],
    sandbox: null,
    ...overrides,
  };
}

function textAnswer(pass: boolean, score: number, safetyFinding: string | null = null): GraderAnswer {
  return {
    pass,
    score,
    rationale: 'r',
    criteria: [
      { id: 'correctness', score, finding: null },
      { id: 'exactness', score: 1, finding: null },
      { id: 'faithfulness', score: 1, finding: null },
      { id: 'safety', score: safetyFinding ? 0 : 1, finding: safetyFinding },
    ],
  };
}

describe('routing', () => {
  it('keeps a clear, agreed, fact-consistent verdict final', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer');
    const answers = [textAnswer(true, 0.95), textAnswer(true, 0.9), textAnswer(true, 1)];
    expect(route(answers, facts(), rubric, routing)).toEqual({ route: 'final', reasons: [] });
  });

  it('contests low agreement among the self-consistency samples', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer');
    const answers = [
      textAnswer(true, 0.95),
      textAnswer(false, 0.2),
      textAnswer(true, 0.9),
      textAnswer(false, 0.3),
      textAnswer(true, 1),
    ];
    // 3 of 5 agree: 0.6 < 0.8
    expect(route(answers, facts(), rubric, routing)).toEqual({ route: 'arbiter', reasons: ['low_agreement'] });
    expect(route(answers, facts(), rubric, { ...routing, min_agreement: 0.6 }).route).toBe('final');
  });

  it('contests a pass that contradicts the reference facts (exact match false, F1 0)', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer');
    const wrong = facts({ reference: { exact_match: false, f1: 0, references: 2 } });
    expect(route([textAnswer(true, 0.9)], wrong, rubric, routing).reasons).toEqual(['contradicts_facts']);
    expect(route([textAnswer(false, 0.1)], wrong, rubric, routing).route).toBe('final');
  });

  it('contests a code pass while tests fail, and a tests score above the measured pass rate', async () => {
    const rubric = await loadRubric(LIBRARY, 'code-correctness');
    const tests = { passed: 3, failed: 1, errors: 0, skipped: 0, total: 4, collected: 4, expected: 4, cases: [] };
    const codeFacts = facts({ kind: 'code', reference: null, tests });
    const answer = (pass: boolean, testsScore: number): GraderAnswer => ({
      pass,
      score: 0.3,
      rationale: 'r',
      criteria: ['tests', 'spec', 'static', 'style', 'integrity'].map((id) => ({
        id,
        score: id === 'tests' ? testsScore : 1,
        finding: null,
      })),
    });
    expect(route([answer(true, 0.75)], codeFacts, rubric, routing).reasons).toEqual(['contradicts_facts']);
    expect(route([answer(false, 1)], codeFacts, rubric, routing).reasons).toEqual(['contradicts_facts']);
    expect(route([answer(false, 0.75)], codeFacts, rubric, routing)).toEqual({ route: 'final', reasons: [] });
  });

  it('contests a score within the margin of the pass threshold', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer'); // threshold 0.6
    expect(route([textAnswer(true, 0.65)], facts(), rubric, routing).reasons).toEqual(['near_threshold']);
    expect(route([textAnswer(false, 0.55)], facts(), rubric, routing).reasons).toEqual(['near_threshold']);
    expect(route([textAnswer(true, 0.66)], facts(), rubric, routing).route).toBe('final');
    expect(route([textAnswer(true, 0.66)], facts(), rubric, { ...routing, threshold_margin: 0.1 }).reasons).toEqual([
      'near_threshold',
    ]);
  });

  it('sends a safety finding to the arbiter even from one extra sample, with every reason recorded', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer');
    const answers = [textAnswer(true, 0.95), textAnswer(true, 0.95, 'gives instructions for a weapon')];
    expect(route(answers, facts(), rubric, routing)).toEqual({ route: 'arbiter', reasons: ['safety'] });
    const all = route(
      [textAnswer(true, 0.62, 'abusive'), textAnswer(false, 0.1)],
      facts({ reference: { exact_match: false, f1: 0, references: 1 } }),
      rubric,
      routing,
    );
    expect(all.reasons).toEqual(['low_agreement', 'contradicts_facts', 'near_threshold', 'safety']);
  });
});
