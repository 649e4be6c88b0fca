import { ConfigError, type PointwiseSample as Sample } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gavelContainers, limits, SUT, sandboxConfig } from './sandbox-fixtures.ts';

// The manifest's sandbox limits are capped at the worker's own GAVEL_SANDBOX_* maxima, and a run
// pinned to another image is refused (issue 13, item 10).

const TESTS = 'def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n';
function sample(id: string, prelude: string): Sample {
  return {
    id,
    kind: 'code',
    prompt: 'add two numbers',
    output: `${prelude}\n\ndef add(a, b):\n    return a + b\n`,
    tests: TESTS,
    expected_tests: 1,
    sut: SUT,
  };
}

let sandbox: DockerSandbox;
beforeAll(async () => {
  // This worker allows at most 128 MiB and 6 s per sample.
  sandbox = await createDockerSandbox(
    sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '1', GAVEL_SANDBOX_MEMORY_MIB: '128', GAVEL_SANDBOX_WALL_S: '6' }),
  );
});

afterAll(async () => {
  await sandbox?.close();
  expect(gavelContainers()).toEqual([]);
});

describe("a run's sandbox limits against the worker's maxima", () => {
  it('a manifest asking for 1 GiB and 60 s runs at the worker cap of 128 MiB: 300 MB is OOM-killed, and the facts say what was capped', async () => {
    // Holds 300 MB at once: fits the 1024 MiB the run asks for, not the worker's 128 MiB.
    const hog = sample('hog', "held = [b'x' * (50 * 1024 * 1024) for _ in range(6)]");
    const f = await sandbox.codeFacts(hog, limits({ memory_mib: 1024, wall_s: 60 }), AbortSignal.timeout(120_000));
    expect(f.oom_killed).toBe(true);
    expect(f.tests?.passed).toBe(0);
    expect(f.sandbox?.limits).toMatchObject({ memory_mib: 128, wall_s: 6 });
    expect(f.sandbox?.capped).toEqual([
      { field: 'memory_mib', asked: 1024, applied: 128 },
      { field: 'wall_s', asked: 60, applied: 6 },
    ]);
  });

  it('a manifest within the maxima runs at its own limits and nothing is capped', async () => {
    const f = await sandbox.codeFacts(
      sample('ok', ''),
      limits({ memory_mib: 96, wall_s: 5 }),
      AbortSignal.timeout(120_000),
    );
    expect(f.tests).toMatchObject({ passed: 1, expected: 1 });
    expect(f.sandbox?.limits).toMatchObject({ memory_mib: 96, wall_s: 5 });
    expect(f.sandbox?.capped).toEqual([]);
  });

  it('a run pinned to another image digest is refused with a ConfigError naming both images, before any container runs', async () => {
    const pinned = limits({ image: 'gavel-sandbox:older', image_digest: `sha256:${'0'.repeat(64)}` });
    const before = gavelContainers().length;
    const refused = sandbox.codeFacts(sample('pinned', ''), pinned, AbortSignal.timeout(60_000));
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow(
      /the run pins sandbox image gavel-sandbox:older sha256:0{64}, but this worker runs gavel-sandbox:\w+ sha256:[0-9a-f]{64}/,
    );
    expect(gavelContainers().length).toBe(before);
  });
});
