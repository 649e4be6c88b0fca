import { execFileSync } from 'node:child_process';
import type { Facts, PointwiseSample as Sample } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits, SUT, sandboxConfig } from './sandbox-fixtures.ts';

// Execution containers made ahead (created and attached while the previous sample runs, started on
// demand), against the real Docker engine: each sample still runs in a container of its own, made
// with the limits it runs at, and nothing made ahead outlives the sandbox.

const CHECK_TESTS = 'def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n';
let n = 0;
function sample(prelude: string, test = CHECK_TESTS): Sample {
  return {
    id: `ahead-${++n}`,
    kind: 'code',
    prompt: 'add two numbers',
    output: `${prelude}\n\ndef add(a, b):\n    return a + b\n`,
    tests: test,
    expected_tests: 1,
    sut: SUT,
  };
}

let sandbox: DockerSandbox;
let instance: string;
const run = (s: Sample, l = limits({ wall_s: 60 })): Promise<Facts> =>
  sandbox.codeFacts(s, l, AbortSignal.timeout(120_000));

/** This sandbox's execution containers: `{id, state, memory}` (state: created, running, exited …). */
function execContainers(): Array<{ id: string; state: string; memory: number }> {
  const ids = execFileSync(
    'docker',
    ['ps', '-aq', '--no-trunc', '--filter', `label=gavel.instance=${instance}`, '--filter', 'label=gavel.role=exec'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [];
  const rows = execFileSync(
    'docker',
    ['inspect', '--format', '{{.Id}} {{.State.Status}} {{.HostConfig.Memory}}', ...ids],
    {
      encoding: 'utf8',
    },
  );
  return rows
    .split('\n')
    .filter(Boolean)
    .map((row) => {
      const [id, state, memory] = row.split(' ');
      return { id: id as string, state: state as string, memory: Number(memory) };
    });
}

beforeAll(async () => {
  sandbox = await createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '2' }));
  instance = (await sandbox.describe()).instance;
});

afterAll(async () => {
  await sandbox?.close();
});

describe('execution containers made ahead', () => {
  it('after a sample, one container per execution slot waits created and never started', async () => {
    const f = await run(sample(''));
    expect(f.tests).toMatchObject({ passed: 1, failed: 0 });
    const waiting = execContainers();
    expect(waiting.map((c) => c.state)).toEqual(['created', 'created']);
    expect(new Set(waiting.map((c) => c.memory))).toEqual(new Set([(limits().memory_mib as number) * 1024 * 1024]));
  });

  it('each sample runs in a container of its own: what one leaves in /tmp and /scratch the next never sees', async () => {
    const writer = sample(
      "open('/tmp/gavel-ahead-marker', 'w').write('x')\nopen('/scratch/gavel-ahead-marker', 'w').write('x')",
    );
    const reader = sample(
      '',
      "def check(candidate):\n    import os\n    assert not os.path.exists('/tmp/gavel-ahead-marker')\n    assert not os.path.exists('/scratch/gavel-ahead-marker')\n    assert candidate(1, 2) == 3\n\ncheck(add)\n",
    );
    for (let i = 0; i < 2; i++) {
      const [w, r] = [await run(writer), await run(reader)];
      expect([w.timed_out, w.tests?.passed, r.timed_out, r.tests?.passed]).toEqual([false, 1, false, 1]);
    }
    // Four at once through two slots: every one still alone in its container.
    const together = await Promise.all([run(writer), run(reader), run(writer), run(reader)]);
    expect(together.map((f) => f.tests?.passed)).toEqual([1, 1, 1, 1]);
  }, 600_000);

  it('a sample at other limits runs in a container made with its limits, and those made for the old ones go', async () => {
    const small = limits({ wall_s: 60, memory_mib: 192 });
    const f = await run(sample(''), small);
    expect(f.sandbox?.limits?.memory_mib).toBe(192);
    expect(f.tests).toMatchObject({ passed: 1 });
    // What waits now is made for the new limits only (the old ones are being removed).
    await expect
      .poll(() => execContainers().map((c) => c.memory), { timeout: 30_000 })
      .toEqual([192 * 1024 * 1024, 192 * 1024 * 1024]);
    expect(execContainers().every((c) => c.state === 'created')).toBe(true);
  });

  it('closing the sandbox removes what was made ahead', async () => {
    await sandbox.close();
    expect(execContainers()).toEqual([]);
  });
});
