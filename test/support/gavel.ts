import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Node's arguments that run gavel's TypeScript sources, as the tests do (no build step): tsx, and the
 * `@gavel/source` export condition that resolves every workspace package to its `src/index.ts`.
 */
export const SOURCE_NODE_ARGS: readonly string[] = ['--conditions=@gavel/source', '--import', 'tsx'];

/** The same as one shell word list, for commands given as a string. */
export const SOURCE_NODE = `--conditions=@gavel/source --import tsx`;

/** Node's arguments that run the `gavel` CLI from source (the workers it starts then run from source too). */
export const GAVEL_CLI: readonly string[] = [...SOURCE_NODE_ARGS, join(ROOT, 'apps', 'cli', 'src', 'main.ts')];

/** The compiled `gavel` (`npm run build` first) on plain Node, as users run it: the benchmarks use it. */
export const COMPILED_GAVEL_CLI: readonly string[] = [join(ROOT, 'apps', 'cli', 'bin', 'gavel.js')];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `gavel` CLI as a child process. */
export function gavel(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
  cli: readonly string[] = GAVEL_CLI,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...cli, ...args],
      { env: { ...process.env, ...env }, cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface WorkersProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM (graceful) and wait for exit; returns the exit code/signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `gavel workers` in the background (each stage its own process). */
export function startWorkers(
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  cli: readonly string[] = GAVEL_CLI,
): WorkersProcess {
  const child = spawn(process.execPath, [...cli, 'workers', ...args], {
    env: { ...process.env, ...env },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  return {
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null)
        return { code: child.exitCode, signal: child.signalCode };
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      child.kill(signal);
      const [code, sig] = await exited;
      return { code, signal: sig };
    },
  };
}

/** The pids of every worker-sandbox process `gavel workers` started, in order (restarts included). */
export function sandboxWorkerPids(output: string): number[] {
  return [...output.matchAll(/worker-sandbox started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

/** The pids of the stage worker processes that `gavel workers` started (from its log lines). */
export function workerPids(output: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const match of output.matchAll(/worker-([a-z-]+) started \(pid (\d+)\)/g)) {
    if (match[1] && match[2]) pids.set(match[1], Number(match[2]));
  }
  return pids;
}

/** A native JSONL line of a text sample. */
export function textSample(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const answers = ['Paris', 'London', 'Berlin'];
  return {
    id: `s-${i}`,
    kind: 'text',
    prompt: `Question ${i}: what is the capital of France?`,
    output: answers[i % 3],
    reference: ['Paris', 'Paris, France'],
    sut: { model: 'acme-7b', family: 'acme' },
    ...overrides,
  };
}

export function jsonl(rows: readonly Record<string, unknown>[]): string {
  return `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
}
