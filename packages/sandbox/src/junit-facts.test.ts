import { describe, expect, it } from 'vitest';
import { junitFacts } from './junit-facts.ts';

const report = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.1">
<testcase classname="test_reference" name="test_a" time="0.001" />
<testcase classname="test_reference" name="test_b" time="0.001"><failure message="assert 1 == 2&#10;+ where &quot;x&quot;">trace</failure></testcase>
<testcase classname="test_reference" name="test_c" time="0.001"><error message="SystemExit: 0">trace</error></testcase>
<testcase classname="test_reference" name="test_d" time="0.001"><skipped type="pytest.skip" message="later">x</skipped></testcase>
</testsuite></testsuites>`;

describe('junitFacts', () => {
  it('reads every test case and its outcome from the report', () => {
    const f = junitFacts(report, 4);
    expect(f).toMatchObject({ passed: 1, failed: 1, errors: 1, skipped: 1, total: 4, collected: 4, expected: 4 });
    expect(f.cases.map((c) => c.outcome)).toEqual(['passed', 'failed', 'error', 'skipped']);
    expect(f.cases[1]).toEqual({
      name: 'test_reference::test_b',
      outcome: 'failed',
      message: 'assert 1 == 2\n+ where "x"',
    });
  });
  it('no report: nothing collected, every expected test failed', () => {
    expect(junitFacts(null, 3)).toMatchObject({ passed: 0, failed: 3, total: 0, collected: 0, expected: 3 });
  });
  it('fewer reported tests than expected: the missing ones count as failed', () => {
    const one = '<testsuite tests="1"><testcase classname="t" name="test_a"/></testsuite>';
    expect(junitFacts(one, 3)).toMatchObject({ passed: 1, failed: 2, total: 1, collected: 1, expected: 3 });
  });
});
