import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Stage } from '@gavel/core';
import { ROOT, SOURCE_NODE_ARGS } from './gavel.ts';

export interface StageProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit status (or the signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * One stage's worker process (`apps/worker-<stage>/src/main.ts`), started the way `gavel workers` starts
 * it; `compiled` runs its bundle (`bundle/main.js`, as the compiled `gavel workers` does) on plain Node
 * instead (`npm run build` first), with `nodeArgs`.
 */
export function startStageProcess(
  stage: Stage,
  env: NodeJS.ProcessEnv,
  options: { compiled?: boolean; nodeArgs?: readonly string[] } = {},
): StageProcess {
  const app = join(ROOT, 'apps', `worker-${stage}`);
  const child = spawn(
    process.execPath,
    options.compiled
      ? [...(options.nodeArgs ?? []), join(app, 'bundle', 'main.js')]
      : [...(options.nodeArgs ?? []), ...SOURCE_NODE_ARGS, join(app, 'src', 'main.ts')],
    {
      env: { ...process.env, ...env },
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = (once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>).then(([code, signal]) => ({
    code,
    signal,
  }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
