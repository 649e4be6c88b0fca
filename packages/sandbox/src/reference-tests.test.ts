import { describe, expect, it } from 'vitest';
import { referenceTests } from './reference-tests.ts';

describe('referenceTests', () => {
  it('keeps a pytest module and counts its test functions', () => {
    const t = referenceTests('from solution import f\n\ndef test_a():\n    assert f()\n\ndef test_b():\n    pass\n');
    expect(t.expected).toBe(2);
    expect(t.source).toContain('def test_a');
  });
  it('wraps a HumanEval script in one test that runs it in the solution namespace', () => {
    const script = 'def check(candidate):\n    assert candidate(1) == 2\n\ncheck(inc)\n';
    const t = referenceTests(script);
    expect(t.expected).toBe(1);
    expect(t.source).toContain(JSON.stringify(script));
    expect(t.source).toContain("importlib.import_module('solution')");
  });
  it('an explicit expected count wins', () => {
    expect(referenceTests('check(f)\n', 3).expected).toBe(3);
  });
});
