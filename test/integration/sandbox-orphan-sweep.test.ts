import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createDockerSandbox, type DockerSandbox } from '@gavel/sandbox';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SOURCE_NODE } from '../support/gavel.ts';
import { sandboxConfig, sandboxImage } from './sandbox-fixtures.ts';

// The orphan sweep keys on each sandbox instance's id and its liveness record (a lease container with
// a heartbeat on the shared engine), not on PIDs (issue 13, item 13). Each instance here is a real
// process in its own PID namespace, as a worker in a container is: one is PID 1 there, one has a PID
// that no process on this host has.

interface Instance {
  child: ChildProcess;
  /** Its PID inside its namespace (what a PID-keyed sweep would see in the gavel.owner label). */
  pid: number;
}

const started: Instance[] = [];
const children: ChildProcess[] = [];

function hostHasPid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A PID for an instance's namespace that no gavel container names yet, and that a process on this host
 * has (`alive`) or does not have: what a PID-keyed sweep would take for a live or for a dead owner.
 */
function pidFor(alive: boolean, from: number): number {
  for (let pid = from; ; pid++) if (hostHasPid(pid) === alive && containersOf(pid).length === 0) return pid;
}

/** Starts sandbox-instance-child.ts in a new PID namespace as PID `nsPid` there; resolves once it ran a sample. */
async function startInstance(nsPid: number, leaseTtlS: number): Promise<Instance> {
  // sh is PID 1 in the new namespace and each /bin/true takes the next PID, so node (its child) gets nsPid.
  const script = `i=2; while [ $i -lt ${nsPid} ]; do /bin/true; i=$((i+1)); done; node ${SOURCE_NODE} test/integration/sandbox-instance-child.ts`;
  const args = ['--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL'];
  const child = spawn('unshare', [...args, 'sh', '-c', script], {
    cwd: ROOT,
    env: {
      ...process.env,
      GAVEL_SANDBOX_IMAGE: sandboxImage(),
      GAVEL_SANDBOX_CONCURRENCY: '1',
      LEASE_TTL_S: String(leaseTtlS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`instance child exited (${code}) before it was ready`)));
  });
  const { pid } = JSON.parse(first) as { pid: number };
  started.push({ child, pid });
  return { child, pid };
}

/** `docker ps -a` rows of gavel containers whose gavel.owner label is `pid`: `name state`. */
function containersOf(pid: number): string[] {
  return execFileSync(
    'docker',
    [
      'ps',
      '-a',
      '--filter',
      'label=gavel=sandbox',
      '--filter',
      `label=gavel.owner=${pid}`,
      '--format',
      '{{.Names}} {{.State}}',
    ],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean)
    .sort();
}

let sweeper: DockerSandbox | undefined;
afterAll(async () => {
  await sweeper?.close();
  for (const c of children) c.kill('SIGKILL');
  // What the test's instances left (the live one was killed just now).
  const left = started.flatMap((i) => containersOf(i.pid).map((row) => row.split(' ')[0] as string));
  if (left.length > 0) execFileSync('docker', ['rm', '-f', ...left]);
});

describe('the orphan sweep across instances sharing one engine', () => {
  it("removes a killed instance's containers once its lease lapses, and none of a live instance's, whatever their PIDs", async () => {
    // The dead one's PID is alive on this host, the live one's is not: a PID-keyed sweep gets both wrong.
    const deadPid = pidFor(true, 2);
    const livePid = pidFor(false, 300);
    const dead = await startInstance(deadPid, 3);
    const live = await startInstance(livePid, 60);
    expect([dead.pid, live.pid]).toEqual([deadPid, livePid]);
    // Each ran a sample: its analysis container (and its lease, and the execution containers it made
    // ahead for its next samples) are there; the dead one's go with the rest.
    expect(containersOf(dead.pid).some((row) => row.startsWith('gavel-analysis-'))).toBe(true);
    expect(containersOf(live.pid).some((row) => row.startsWith('gavel-analysis-'))).toBe(true);

    // The worker dies without cleaning up (SIGKILL); its lease container stops once heartbeats stop.
    dead.child.kill('SIGKILL');
    for (
      let i = 0;
      i < 300 && containersOf(dead.pid).some((row) => row.endsWith(' running') && row.startsWith('gavel-lease-'));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }

    // A new instance starts and sweeps.
    sweeper = await createDockerSandbox(sandboxConfig());
    expect(containersOf(dead.pid)).toEqual([]);
    const kept = containersOf(live.pid);
    expect(kept.filter((row) => row.startsWith('gavel-analysis-'))).toHaveLength(1);
    // Its analysis and lease containers run; its execution containers made ahead wait, never started.
    expect(kept.filter((row) => !row.startsWith('gavel-exec-')).every((row) => row.endsWith(' running'))).toBe(true);
    expect(kept.filter((row) => row.startsWith('gavel-exec-')).every((row) => row.endsWith(' created'))).toBe(true);
  });

  it("a running instance sweeps again while it runs: a killed instance's containers go with no new start", async () => {
    // Started first: its sweep at start finds nothing of the instance killed below.
    const watcher = await createDockerSandbox(sandboxConfig(), undefined, { sweepIntervalS: 1 });
    try {
      const deadPid = pidFor(true, 2);
      const dead = await startInstance(deadPid, 3);
      expect(containersOf(dead.pid).some((row) => row.startsWith('gavel-analysis-'))).toBe(true);
      dead.child.kill('SIGKILL');
      // Its lease lapses within 3 s; two sweeps in a row find it without one, and the second takes its
      // containers. Before the periodic sweep they stayed until a sandbox started after that.
      for (let i = 0; i < 600 && containersOf(dead.pid).length > 0; i++) await new Promise((r) => setTimeout(r, 200));
      expect(containersOf(dead.pid)).toEqual([]);
      // The watcher's own containers are untouched: its lease still runs.
      const { instance } = await watcher.describe();
      expect(
        execFileSync(
          'docker',
          ['ps', '--filter', `name=^gavel-lease-${instance}$`, '--filter', 'status=running', '--format', '{{.Names}}'],
          { encoding: 'utf8' },
        ).trim(),
      ).toBe(`gavel-lease-${instance}`);
    } finally {
      await watcher.close();
    }
  }, 180_000);

  it('a live instance whose lease container goes away starts it again, and removes it on close', async () => {
    const own = await createDockerSandbox(sandboxConfig());
    const { instance } = await own.describe();
    const lease = `gavel-lease-${instance}`;
    const running = () =>
      execFileSync(
        'docker',
        ['ps', '--filter', `name=^${lease}$`, '--filter', 'status=running', '--format', '{{.Names}}'],
        {
          encoding: 'utf8',
        },
      ).trim();
    expect(running()).toBe(lease);
    execFileSync('docker', ['rm', '-f', lease]);
    while (running() !== lease) await new Promise((r) => setTimeout(r, 200));
    await own.close();
    expect(
      execFileSync('docker', ['ps', '-a', '--filter', `name=^${lease}$`, '--format', '{{.Names}}'], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('');
  });
});
