import { InputError, type PointwiseSample as Sample } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavelContainers, limits, SUT, sandboxConfig } from './sandbox-fixtures.ts';

// One sample must not jam the shared analysis server for the samples after it (issue 13, item 9).

const TESTS = 'def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n';
let n = 0;
function sample(
  files: Record<string, string> = {},
  output = 'import os\n\ndef add(a, b):\n    return a + b\n',
): Sample {
  return {
    id: `robust-${++n}`,
    kind: 'code',
    prompt: 'add two numbers',
    output,
    tests: TESTS,
    expected_tests: 1,
    files,
    sut: SUT,
  };
}

let sandbox: DockerSandbox;
const run = (s: Sample) => sandbox.codeFacts(s, limits({ wall_s: 20 }), AbortSignal.timeout(170_000));

beforeAll(async () => {
  sandbox = await createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '2' }));
});

afterAll(async () => {
  await sandbox?.close();
  expect(gavelContainers()).toEqual([]);
});

/** A normally analysed sample: ruff flags the unused `import os` (F401), pyright ran on solution.py. */
function analysedNormally(f: Awaited<ReturnType<typeof run>>): void {
  expect(f.ruff?.diagnostics.map((d) => d.code)).toContain('F401');
  expect(f.pyright?.exit_code).toBe(0);
  expect(f.tests).toMatchObject({ passed: 1, expected: 1 });
}

describe('the analysis server survives a sample it cannot analyse', () => {
  it('files holding both a.py and a.py/b.py: that sample fails with a reason naming the file; the sample sent with it is analysed', async () => {
    const [jammed, next] = await Promise.allSettled([
      run(sample({ 'a.py': 'x = 1\n', 'a.py/b.py': 'y = 2\n' })),
      run(sample()),
    ]);
    expect(jammed.status).toBe('rejected');
    const reason = (jammed as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(InputError);
    expect(reason.message).toMatch(/a\.py(\/b\.py)? cannot be written beside the sample's other files/);
    expect(next.status, String((next as PromiseRejectedResult).reason)).toBe('fulfilled');
    analysedNormally((next as PromiseFulfilledResult<Awaited<ReturnType<typeof run>>>).value);
    // And the one after that, on the same analysis container.
    analysedNormally(await run(sample()));
  });

  it('a sample past the 8 MiB analysis limit per request: the files past it are not analysed, and say so', async () => {
    // Nine files of 1,000,000 bytes (comments: trivial to parse); the ninth would pass 8 MiB (8,388,608).
    const big = `${'#'.repeat(999)}\n`.repeat(1000);
    const files = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`pad${i}.py`, big]));
    const f = await run(sample(files));
    const skipped = f.ruff?.diagnostics.filter((d) => d.code === 'gavel-too-large').map((d) => d.message);
    // solution.py comes last in the workspace; with eight pads (8,000,000 bytes) sent, pad8 does not
    // fit, and solution.py (67 bytes) still does.
    expect(skipped).toEqual(["pad8.py: past the sample's 8388608-byte analysis limit, not analysed"]);
    expect(f.ruff?.diagnostics.map((d) => d.code)).toContain('F401');
    analysedNormally(await run(sample()));
  });

  it('a sample whose files alone fill the analysis scratch (19,200 directories for 16,384 inodes): it fails with that reason; the next sample is analysed', async () => {
    // 200 files, each at the end of its own chain of 96 directories (paths of 199 characters).
    const files = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`x${String(i).padStart(3, '0')}/${'d/'.repeat(95)}f.py`, 'x = 1\n']),
    );
    const full = run(sample(files));
    await expect(full).rejects.toBeInstanceOf(InputError);
    await expect(full).rejects.toThrow(/the sample's files do not fit the analysis scratch \(ENOSPC\)/);
    analysedNormally(await run(sample()));
  });
});
