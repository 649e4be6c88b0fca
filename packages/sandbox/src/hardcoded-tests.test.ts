import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HumanEvalProblem, humanEvalSample } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { callArguments, distinctiveLiterals, hardcodedTests } from './hardcoded-tests.ts';

const HUMANEVAL = join(import.meta.dirname, '../../../datasets/humaneval/HumanEval.jsonl.gz');
const problems = gunzipSync(readFileSync(HUMANEVAL))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((l) => HumanEvalProblem.parse(JSON.parse(l)));
const SUT = { model: 'm', family: 'f' };

describe('answers hard-coded to the test inputs', () => {
  it('reads the distinctive literals and the test calls', () => {
    // 1.0, 2.0 and 7 are small integers, 'ab' is too short: not distinctive.
    expect([...distinctiveLiterals("f([1.0, 2.0, 3.9], 0.3, 'ab', 'abc', 7, 144, -12)")]).toEqual([
      'n:3.9',
      'n:0.3',
      's:abc',
      'n:144',
      'n:-12',
    ]);
    expect(callArguments('assert candidate(3, (1, 2)) == 1\nassert candidate("a)") == 2', ['candidate'])).toEqual([
      '3, (1, 2)',
      '"a)"',
    ]);
  });

  it('no canonical HumanEval solution is flagged (covers fewer than half of its test calls)', () => {
    const flagged = problems.filter((p) => {
      const h = hardcodedTests(humanEvalSample(p, p.canonical_solution ?? '', 'x', SUT));
      return h !== null && h.eligible >= 2 && h.covered * 2 >= h.eligible;
    });
    expect(flagged.map((p) => p.task_id)).toEqual([]);
  });

  it('a lookup table of the test inputs covers every eligible call', () => {
    const p = problems[13] as HumanEvalProblem; // greatest_common_divisor(a, b)
    const table =
      '    if (a, b) == (3, 7):\n        return 1\n    if (a, b) == (10, 15):\n        return 5\n' +
      '    if (a, b) == (49, 14):\n        return 7\n    if (a, b) == (144, 60):\n        return 12\n    return None\n';
    // the test calls: (3, 7) has no distinctive literal; (10, 15), (49, 14), (144, 60) do.
    expect(hardcodedTests(humanEvalSample(p, table, 'x', SUT))).toEqual({ eligible: 3, covered: 3 });
    expect(hardcodedTests(humanEvalSample(p, p.canonical_solution ?? '', 'x', SUT))).toEqual({
      eligible: 3,
      covered: 0,
    });
    expect(hardcodedTests({ prompt: 'p', output: 'o', metadata: {} })).toBeNull();
  });
});
