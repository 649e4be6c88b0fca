import type { Facts, Verdict } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { solvedForPassAtK } from './code-pass-at-k.ts';

const tests = (passed: number, failed: number, expected = passed + failed) => ({
  passed,
  failed,
  errors: 0,
  skipped: 0,
  total: passed + failed,
  collected: passed + failed,
  expected,
  cases: [],
});
const facts = (t: ReturnType<typeof tests> | null, timedOut = false) => ({ tests: t, timed_out: timedOut }) as Facts;
const verdict = (pass: boolean) => ({ pass }) as Verdict;

describe('solvedForPassAtK: one definition of "solved" for every pass@k', () => {
  it('a code sample whose tests ran is solved by its tests, whatever the verdict says', () => {
    // All 3 expected tests passed, the judge failed it (a style criterion): solved.
    expect(solvedForPassAtK({ kind: 'code' }, facts(tests(3, 0)), verdict(false))).toBe(true);
    // One of 3 failed, the judge passed it: not solved.
    expect(solvedForPassAtK({ kind: 'code' }, facts(tests(2, 1)), verdict(true))).toBe(false);
    // 2 passed of 3 expected (one never collected): not solved.
    expect(solvedForPassAtK({ kind: 'code' }, facts(tests(2, 0, 3)), verdict(true))).toBe(false);
    // Every test passed but the run timed out: not solved.
    expect(solvedForPassAtK({ kind: 'code' }, facts(tests(3, 0), true), verdict(true))).toBe(false);
  });
  it('a code sample without test facts, and any other kind, is solved by its verdict', () => {
    expect(solvedForPassAtK({ kind: 'code' }, facts(null), verdict(true))).toBe(true);
    expect(solvedForPassAtK({ kind: 'code' }, undefined, verdict(false))).toBe(false);
    expect(solvedForPassAtK({ kind: 'text' }, facts(tests(3, 0)), verdict(false))).toBe(false);
    expect(solvedForPassAtK({ kind: 'text' }, undefined, verdict(true))).toBe(true);
  });
});
