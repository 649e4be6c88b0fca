import type { Facts, Sample } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits, SUT, sandboxConfig } from './sandbox-fixtures.ts';

// Result forgery: the sample's code runs in the same process (and uid) as pytest's JUnit writer, so it
// can write a passing report itself and leave before pytest overwrites it. These samples are wrong
// (add returns None): any "passed" here is a forged fact.

const ADD_TESTS = 'def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n';
const FAKE_REPORT =
  '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="1"><testcase classname="test_reference" name="test_reference" time="0.01" /></testsuite></testsuites>';

function sample(id: string, prelude: string): Sample {
  return {
    id,
    kind: 'code',
    prompt: 'add two numbers',
    output: `${prelude}\n\ndef add(a, b):\n    return None\n`,
    tests: ADD_TESTS,
    expected_tests: 1,
    sut: SUT,
  };
}

let sandbox: DockerSandbox;
const run = (s: Sample): Promise<Facts> => sandbox.codeFacts(s, limits({ wall_s: 8 }), AbortSignal.timeout(120_000));

beforeAll(async () => {
  sandbox = await createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '1' }));
});

afterAll(async () => {
  await sandbox?.close();
});

describe('forged test results', () => {
  it('a JUnit report written by the sample itself, then os._exit(0), grades as failing', async () => {
    const forge = [
      'import glob, os',
      `FAKE = ${JSON.stringify(FAKE_REPORT)}`,
      'for d in glob.glob("/scratch/report-*") + glob.glob("/tmp/report-*"):',
      '    path = os.path.join(d, "junit.xml") if os.path.isdir(d) else d',
      '    with open(path, "w") as f:',
      '        f.write(FAKE)',
      'os._exit(0)',
    ].join('\n');
    const facts = await run(sample('forged-junit', forge));
    expect(facts.tests?.passed).toBe(0);
  });
});
