/**
 * The reference test module for a code sample, and how many test cases it should report.
 *
 * A sample's `tests` is either a pytest module (it defines `test_*` functions) or a HumanEval-style
 * script (`def check(candidate): ...` then `check(entry_point)`). A script runs inside one test
 * function, in a copy of the solution module's namespace, after the solution is imported: so a
 * solution that exits at import, or defines its own `check`, fails that test (the script's own
 * `def check` is bound after the solution's names). In the sandbox that module is a proxy of the
 * sample's own process (sandbox/sample_proxy.py): its functions return plain values only, so the
 * script's comparisons run on plain values in pytest's process.
 */
export interface ReferenceTests {
  fileName: string;
  source: string;
  expected: number;
}

const PYTEST_FUNCTION = /^(?:def|async def) test_\w*\s*\(|^ {4}def test_\w*\s*\(/gm;

export function referenceTests(tests: string, expectedTests?: number): ReferenceTests {
  const pytestCount = (tests.match(PYTEST_FUNCTION) ?? []).length;
  if (pytestCount > 0) {
    return { fileName: 'test_reference.py', source: tests, expected: expectedTests ?? pytestCount };
  }
  const source = [
    'import importlib',
    '',
    `_REFERENCE = ${JSON.stringify(tests)}`,
    '',
    '',
    'def test_reference():',
    "    solution = importlib.import_module('solution')",
    '    namespace = dict(vars(solution))',
    "    namespace['__name__'] = 'reference_tests'",
    "    exec(compile(_REFERENCE, 'reference_tests.py', 'exec'), namespace)",
    '',
  ].join('\n');
  return { fileName: 'test_reference.py', source, expected: expectedTests ?? 1 };
}
