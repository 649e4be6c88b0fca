import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

// Vitest global setup of the integration project: fails the run when a sandbox container made by one of
// the suite's own processes outlives the suite (a sandbox that was never closed; nothing sweeps after
// the last test). The Docker engine is shared with other sessions, so a container counts only if the
// process named in its `gavel.owner` label descends from this Vitest process, checked from the engine's
// create event while that process is alive. Each one found is removed (its owner is the suite's).

const run = promisify(execFile);

/** Whether `pid` is `ancestor` or one of its descendants (Linux /proc). */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops += 1) {
    if (p === ancestor) return true;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses; ppid follows the last ')'.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

interface Made {
  name: string;
  owner: number;
}

let events: ChildProcess | undefined;
const made = new Map<string, Made>();

export async function setup(): Promise<void> {
  try {
    await run('docker', ['version', '--format', '{{.Server.Version}}']);
  } catch {
    return; // no engine: no sandbox test can run, nothing to watch
  }
  events = spawn(
    'docker',
    [
      'events',
      '--format',
      '{{json .}}',
      '--filter',
      'type=container',
      '--filter',
      'event=create',
      '--filter',
      'label=gavel=sandbox',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  events.on('error', () => {});
  const lines = createInterface({ input: events.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    try {
      const event = JSON.parse(line) as { id?: string; Actor?: { Attributes?: Record<string, string> } };
      const attributes = event.Actor?.Attributes ?? {};
      const owner = Number(attributes['gavel.owner']);
      if (event.id && Number.isInteger(owner) && owner > 0 && descendsFrom(owner, process.pid))
        made.set(event.id, { name: attributes.name ?? event.id.slice(0, 12), owner });
    } catch {
      // not an event line
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
}

async function existing(): Promise<Set<string>> {
  const { stdout } = await run('docker', [
    'ps',
    '-a',
    '--no-trunc',
    '--filter',
    'label=gavel=sandbox',
    '--format',
    '{{.ID}}',
  ]);
  return new Set(stdout.split('\n').filter(Boolean));
}

export async function teardown(): Promise<void> {
  if (!events) return;
  events.kill();
  // A removal the last test started may still be under way in the engine.
  let left: Made[] = [];
  for (let tries = 0; tries < 20; tries += 1) {
    const now = await existing();
    left = [...made].filter(([id]) => now.has(id)).map(([, m]) => m);
    if (left.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const ids = [...made].filter(([, m]) => left.includes(m)).map(([id]) => id);
  await run('docker', ['rm', '-f', ...ids]).catch(() => undefined);
  const lines = left.map((m) => `  ${m.name} (gavel.owner ${m.owner})`).join('\n');
  // Vitest logs an error thrown here and still exits 0: the run is failed through the exit status.
  process.stderr.write(
    `\nFAIL sandbox containers: ${left.length} made by this test run outlived it (removed now); a sandbox was not closed:\n${lines}\n`,
  );
  process.exitCode = 1;
}
