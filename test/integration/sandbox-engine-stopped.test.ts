import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type PointwiseSample as Sample, silentLogger, TransientError } from '@gavel/core';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerSpec } from '../../packages/sandbox/src/container-spec.ts';
import { dockerClient } from '../../packages/sandbox/src/docker-client.ts';
import { EngineEvents } from '../../packages/sandbox/src/engine-events.ts';
import { runExecContainer } from '../../packages/sandbox/src/exec-container.ts';
import { InstanceLease } from '../../packages/sandbox/src/instance-lease.ts';
import { gavelContainers, limits, SUT, sandboxConfig, sandboxImage } from './sandbox-fixtures.ts';

// The engine stopping a sample's container (what a daemon going down does to its containers, and
// `docker stop`/`kill` by someone else) while the sample runs: the engine answers wait and inspect
// with the container's exit status (137, 143), and that must never be graded as the sample's own
// result — it is transient (retried). A stand-in for the engine going down: `docker kill` and
// `docker stop` of the container this test's own sandbox made (the shared engine itself is never
// touched).

const TESTS = 'def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(add)\n';
let n = 0;
const slowSample = (): Sample => ({
  id: `stopped-${++n}`,
  kind: 'code',
  prompt: 'add two numbers',
  output: 'import time\n\ndef add(a, b):\n    time.sleep(60)\n    return a + b\n',
  tests: TESTS,
  expected_tests: 1,
  sut: SUT,
});

let sandbox: DockerSandbox;

beforeAll(async () => {
  sandbox = await createDockerSandbox(sandboxConfig({ GAVEL_SANDBOX_CONCURRENCY: '1' }));
});

afterAll(async () => {
  await sandbox?.close();
  expect(gavelContainers()).toEqual([]);
});

/** This process's running execution container, once the sample is in it (its pytest has started). */
async function runningExecContainer(): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const ids = execFileSync(
      'docker',
      [
        'ps',
        '-q',
        '--filter',
        `label=gavel.owner=${process.pid}`,
        '--filter',
        'label=gavel.role=exec',
        '--filter',
        'status=running',
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    if (ids.length === 1) {
      const top = execFileSync('docker', ['top', ids[0] as string], { encoding: 'utf8' });
      if (/pytest/.test(top)) return ids[0] as string;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the sample never ran');
}

describe('the engine stops a sample’s container while it runs', () => {
  it('docker kill (SIGKILL, exit 137): transient, naming the signal; not graded', async () => {
    const run = sandbox.codeFacts(slowSample(), limits({ wall_s: 90 }), AbortSignal.timeout(120_000));
    run.catch(() => {});
    execFileSync('docker', ['kill', await runningExecContainer()]);
    await expect(run).rejects.toBeInstanceOf(TransientError);
    await expect(run).rejects.toThrow(/the Docker engine stopped the sample's container \(signal 9, exit 137\)/);
  });

  it('docker stop (SIGTERM, which the runner as PID 1 ignores, then SIGKILL): transient; not graded', async () => {
    const run = sandbox.codeFacts(slowSample(), limits({ wall_s: 90 }), AbortSignal.timeout(120_000));
    run.catch(() => {});
    execFileSync('docker', ['stop', '-t', '1', await runningExecContainer()]);
    await expect(run).rejects.toBeInstanceOf(TransientError);
    await expect(run).rejects.toThrow(/the Docker engine stopped the sample's container \(signal 15,9, exit 137\)/);
  });

  it('the next sample on the same sandbox is graded as usual', async () => {
    const f = await sandbox.codeFacts(
      { ...slowSample(), output: 'def add(a, b):\n    return a + b\n' },
      limits({ wall_s: 30 }),
      AbortSignal.timeout(120_000),
    );
    expect(f.tests).toMatchObject({ passed: 1, expected: 1 });
  });
});

describe('EngineEvents against the real engine', () => {
  const docker = dockerClient(null);
  const owner = { instance: randomUUID(), pid: process.pid, host: hostname() };
  // A live lease for the owner: without one, any sandbox starting on the engine meanwhile (another test
  // file) sweeps these containers as orphans, which would read as the engine stopping them.
  const lease = new InstanceLease(docker, { image: sandboxImage(), owner, ttlS: 60, logger: silentLogger });
  beforeAll(() => lease.start());
  afterAll(() => lease.stop());
  const spec = (cmd: string) => {
    const s = containerSpec({
      image: sandboxImage(),
      name: `gavel-exec-events-${randomUUID().slice(0, 8)}`,
      role: 'exec',
      limits: { cpus: 1, memory_mib: 256, pids: 64, tmpfs_mib: 16 },
      entrypoint: ['sh', '-c', cmd],
      owner,
    });
    return s;
  };

  it('a container that exits 137 by itself ended by itself; one the engine killed ended by the engine', async () => {
    const events = new EngineEvents(docker, owner.instance, silentLogger);
    await events.start();
    try {
      const own = await runExecContainer(docker, spec('exit 137'), Buffer.alloc(0), {
        wallMs: 30_000,
        outputBytes: 1024,
        signal: AbortSignal.timeout(60_000),
      });
      expect(own.exit_code).toBe(137);
      expect(await events.ended(own.container_id, 10_000)).toEqual({ by: 'itself' });

      const running = runExecContainer(docker, spec('echo up; sleep 60'), Buffer.alloc(0), {
        wallMs: 30_000,
        outputBytes: 1024,
        signal: AbortSignal.timeout(60_000),
      });
      let id = '';
      for (let i = 0; i < 300 && !id; i++) {
        id = execFileSync(
          'docker',
          [
            'ps',
            '-q',
            '--filter',
            `label=gavel.instance=${owner.instance}`,
            '--filter',
            'label=gavel.role=exec',
            '--filter',
            'status=running',
          ],
          { encoding: 'utf8' },
        ).trim();
        if (!id) await new Promise((r) => setTimeout(r, 100));
      }
      execFileSync('docker', ['kill', id]);
      const killed = await running;
      expect(killed.exit_code).toBe(137);
      expect(await events.ended(killed.container_id, 10_000)).toEqual({ by: 'engine', signal: '9' });
    } finally {
      events.close();
    }
  });
});
