import type { TestFacts, ToolFacts } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { fabricatedClaims } from './claims.ts';

const tests = (passed: number, expected: number): TestFacts => ({
  passed,
  failed: expected - passed,
  errors: 0,
  skipped: 0,
  total: expected,
  collected: expected,
  expected,
  cases: [],
});
const tool = (errors: number, n: number): ToolFacts => ({
  version: 'v',
  exit_code: n ? 1 : 0,
  duration_ms: 1,
  errors,
  warnings: n - errors,
  diagnostics: Array.from({ length: n }, () => ({ code: 'X', message: 'm', severity: 'warning' as const })),
});

describe('fabricatedClaims', () => {
  it('a claimed pass with failing tests is fabricated', () => {
    expect(fabricatedClaims({ tests_passed: true }, { tests: tests(1, 2), ruff: null, pyright: null })).toEqual([
      'tests_passed (claimed true, 1/2 passed)',
    ]);
  });
  it('true claims are not fabricated', () => {
    expect(
      fabricatedClaims(
        { tests_passed: true, lint_clean: true, type_clean: true },
        { tests: tests(2, 2), ruff: tool(0, 0), pyright: tool(0, 0) },
      ),
    ).toEqual([]);
  });
  it('lint and type claims are checked against ruff and pyright', () => {
    expect(
      fabricatedClaims({ lint_clean: true, type_clean: true }, { tests: null, ruff: tool(0, 2), pyright: tool(1, 1) }),
    ).toHaveLength(2);
  });
  it('a pass claim with no tests run is fabricated', () => {
    expect(fabricatedClaims({ tests_passed: true }, { tests: null, ruff: null, pyright: null })).toHaveLength(1);
  });
});
