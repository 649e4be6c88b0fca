import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ConfigError, type Facts, type PointwiseSample as Sample, TransientError } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../support/redis.ts';
import {
  canonicalSample,
  gavelContainers,
  humanEvalProblems,
  limits,
  SUT,
  sandboxConfig,
  sandboxImage,
} from './sandbox-fixtures.ts';

// Hostile code against the real Docker engine: every case must end as a failing (or fenced) fact,
// leave no container behind, leave the host untouched, and not stop the next sample.

const ADD_TESTS = 'def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n';
const SENTINEL = `/tmp/gavel-hostile-${process.pid}`;
let n = 0;
function sample(prelude: string, over: Partial<Sample> = {}): Sample {
  return {
    id: `hostile-${++n}`,
    kind: 'code',
    prompt: 'add two numbers',
    output: `${prelude}\n\ndef add(a, b):\n    return a + b\n`,
    tests: ADD_TESTS,
    expected_tests: 1,
    sut: SUT,
    ...over,
  };
}

let sandbox: DockerSandbox;
let redis: RedisServer;
let client: Redis;
const fast = limits({ wall_s: 8 });
const run = (s: Sample, l = fast): Promise<Facts> => sandbox.codeFacts(s, l, AbortSignal.timeout(120_000));

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  sandbox = await createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '2' }));
});

afterAll(async () => {
  await sandbox?.close();
  await client?.quit();
  await redis?.stop();
});

function failed(f: Facts): void {
  expect(f.tests?.passed).toBe(0);
  expect(f.tests?.failed ?? 0).toBeGreaterThanOrEqual(1);
}

describe('hostile code in the Docker sandbox', () => {
  it('a canonical sample passes (the control)', async () => {
    const f = await run(canonicalSample(humanEvalProblems()[0] as never));
    expect(f.tests).toMatchObject({ passed: 1, failed: 0, expected: 1 });
  });

  it('fork bomb: bounded by the PIDs limit, ends timed out and failing', async () => {
    const f = await run(
      sample('import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass'),
    );
    expect(f.timed_out).toBe(true);
    failed(f);
  });

  it('memory hog: OOM-killed, failing', async () => {
    const f = await run(
      sample("hog = []\nwhile True:\n    hog.append(b'x' * (64 * 1024 * 1024))"),
      limits({ wall_s: 8, memory_mib: 128 }),
    );
    failed(f);
    expect(f.oom_killed).toBe(true);
  });

  it('disk fill of the tmpfs: stops at its size, failing', async () => {
    const f = await run(
      sample("with open('/tmp/fill', 'wb') as fh:\n    while True:\n        fh.write(b'x' * 1048576)"),
    );
    failed(f);
    expect(f.tests?.cases[0]?.message ?? '').toMatch(/No space left|File too large|Errno 27|Errno 28/);
  });

  it('writing to the root filesystem (and to a host path) fails', async () => {
    const f = await run(sample(`open('/usr/lib/evil', 'w').write('x')\nopen('${SENTINEL}', 'w').write('x')`));
    failed(f);
    expect(f.tests?.cases[0]?.message ?? '').toMatch(/Read-only file system/);
    expect(existsSync(SENTINEL)).toBe(false);
  });

  it("reaching the host's Redis on 127.0.0.1 fails; no key is written", async () => {
    const f = await run(
      sample(
        `import socket\ns = socket.create_connection(('127.0.0.1', ${redis.port}), timeout=2)\ns.sendall(b'SET gavel-escape 1\\r\\n')`,
      ),
    );
    failed(f);
    expect(f.tests?.cases[0]?.message ?? '').toMatch(/Connection refused|Network is unreachable|Errno 111|Errno 101/);
    expect(await client.dbsize()).toBe(0);
  });

  it('network interfaces: only lo', async () => {
    const f = await run({
      ...sample('import socket\n\ndef interfaces():\n    return [name for _, name in socket.if_nameindex()]'),
      tests: 'from solution import interfaces\n\ndef test_only_loopback():\n    assert interfaces() == ["lo"]\n',
    });
    expect(f.tests).toMatchObject({ passed: 1, failed: 0 });
  });

  it('stdout flood: output capped and marked truncated', async () => {
    const f = await run(
      {
        ...sample('import os'),
        tests:
          'import os\n\ndef test_flood():\n    os.write(2, b"y" * 4096)\n    for _ in range(4000):\n        print("x" * 1000)\n    assert False\n',
      },
      limits({ wall_s: 8, output_bytes: 4096 }),
    );
    failed(f);
    expect(f.output_truncated).toBe(true);
  });

  it('a passing sample that prints 5 MB is graded passed, its output truncated', async () => {
    // Non-ASCII and control characters: JSON-escaped they would be ~6x as large in a single result line.
    const f = await run(
      sample("import sys\nsys.stdout.write('\\u00e9\\x01' * (5 * 1024 * 1024 // 3))\nsys.stdout.flush()"),
    );
    expect(f.tests).toMatchObject({ passed: 1, failed: 0, expected: 1 });
    expect(f.output_truncated).toBe(true);
  });

  it('a passing sample with a large report (10,000 tests, 1.4 MB of JUnit) is graded passed', async () => {
    const f = await run(
      {
        ...sample(''),
        tests:
          'import pytest\n\n@pytest.mark.parametrize("i", range(10000), ids=lambda i: f"case-{i:05d}-" + "x" * 40)\ndef test_add(i):\n    from solution import add\n    assert add(i, 1) == i + 1\n',
        expected_tests: 10000,
      },
      limits({ wall_s: 30 }),
    );
    expect(f.tests).toMatchObject({ passed: 10000, failed: 0, expected: 10000 });
  });

  it('orphan background process: does not outlive the container, the sample is still graded', async () => {
    const f = await run(sample("import subprocess\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)"));
    expect(f.timed_out).toBe(false);
    expect(f.tests).toMatchObject({ passed: 1 });
  });

  it('setuid to root fails', async () => {
    const f = await run(sample('import os\nos.setuid(0)'));
    failed(f);
    expect(f.tests?.cases[0]?.message ?? '').toMatch(/Operation not permitted/);
  });

  it('os._exit(0) at import: the sample process ends, the test fails saying so', async () => {
    // The sample runs in its own process: its exit ends that process, not pytest, whose report says why.
    const f = await run(sample('import os\nos._exit(0)'));
    failed(f);
    expect(f.tests?.collected).toBe(1);
    expect(f.tests?.cases[0]?.message ?? '').toMatch(/sample's process ended \(exit status 0\)/);
  });

  it('sys.exit(0) at import: failing', async () => {
    failed(await run(sample('import sys\nsys.exit(0)')));
  });

  it('a fake check with a wrong answer: failing', async () => {
    const f = await run({
      ...sample(''),
      output: 'def check(candidate):\n    return True\n\ndef add(a, b):\n    return a - b\n',
    });
    failed(f);
  });

  it('a conftest.py (and pytest.ini, pyproject.toml) that would mark every test passed: failing', async () => {
    const conftest =
      'import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    outcome.get_result().outcome = "passed"\n';
    const f = await run({
      ...sample(''),
      output: 'def add(a, b):\n    return a - b\n',
      files: {
        'conftest.py': conftest,
        'pytest.ini': '[pytest]\naddopts = -p no:junitxml\n',
        'pyproject.toml': '[tool.pytest.ini_options]\naddopts = "-x"\n',
        'pytest.py': 'raise SystemExit(0)\n',
      },
    });
    failed(f);
    expect(f.tests?.collected).toBe(1);
  });

  it('a million files: stops at the inode limit, failing', async () => {
    const f = await run(sample("for i in range(1_000_000):\n    open(f'/tmp/f{i}', 'w').close()"));
    failed(f);
  });

  it('sleep forever: killed at the wall clock, timed out', async () => {
    const f = await run(sample('import time\ntime.sleep(10**6)'), limits({ wall_s: 4 }));
    expect(f.timed_out).toBe(true);
    failed(f);
  });

  it('analyser steering files and a 50 MB source do not change another sample’s facts nor stall the stage', async () => {
    const clean = sample('');
    const alone = await run(clean);
    const steer = {
      ...sample('x: int = "not an int"'),
      files: {
        'pyrightconfig.json': '{"typeCheckingMode": "off", "ignore": ["**"], "include": ["/"]}',
        'pyproject.toml': '[tool.pyright]\ntypeCheckingMode = "off"\n[tool.ruff]\nselect = []\n',
        'big.py': 'x = 1\n'.repeat((50 * 1024 * 1024) / 6),
      },
    };
    const [steered, together] = await Promise.all([run(steer, limits({ wall_s: 20 })), run(clean)]);
    expect(steered.pyright?.errors).toBeGreaterThanOrEqual(1);
    expect(steered.ruff?.diagnostics.some((d) => d.code === 'gavel-too-large')).toBe(true);
    expect(together.pyright?.diagnostics).toEqual(alone.pyright?.diagnostics);
    expect(together.ruff?.diagnostics).toEqual(alone.ruff?.diagnostics);
    expect(together.tests).toEqual(alone.tests);
  });

  it('after all of it: the next sample is graded, no gavel container is left, the host Redis is empty', async () => {
    const f = await run(canonicalSample(humanEvalProblems()[1] as never));
    expect(f.tests).toMatchObject({ passed: 1 });
    // Only the execution containers made ahead for the next samples remain: one per slot, never started.
    const exec = gavelContainers().filter((name) => name.startsWith('gavel-exec'));
    expect(exec.length).toBeLessThanOrEqual(2);
    const states = exec.length
      ? execFileSync('docker', ['inspect', '--format', '{{.State.Status}}', ...exec], { encoding: 'utf8' }).split('\n')
      : [];
    expect(states.filter(Boolean).every((state) => state === 'created')).toBe(true);
    expect(await client.dbsize()).toBe(0);
  });
});

describe('engine and image errors', () => {
  it('an unreachable Docker engine is a TransientError', async () => {
    await expect(
      createDockerSandbox(sandboxConfig({ GAVEL_DOCKER_HOST: 'unix:///nonexistent/docker.sock' })),
    ).rejects.toBeInstanceOf(TransientError);
  });
  it('a missing image is a ConfigError naming the build command', async () => {
    const p = createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_IMAGE: 'gavel-sandbox:missing' }));
    await expect(p).rejects.toBeInstanceOf(ConfigError);
    await expect(p).rejects.toThrow(/infra\/bootstrap-docker/);
  });
  it('closing the sandbox leaves no gavel container', async () => {
    await sandbox.close();
    expect(gavelContainers()).toEqual([]);
    expect(sandboxImage()).toMatch(/^gavel-sandbox:[0-9a-f]{16}$/);
  });
});
