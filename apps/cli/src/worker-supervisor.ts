import { type ChildProcess, spawn } from 'node:child_process';
import type { Stage } from '@gavel/core';
import { appProcessArgs } from './app-process.ts';

export interface Supervisor {
  readonly children: ReadonlyMap<Stage, ChildProcess>;
  /** SIGTERM to every worker (they drain), then wait for all to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when every worker has exited after stop(). */
  readonly exited: Promise<void>;
}

/**
 * Starts each stage as its own OS process (`node apps/worker-<stage>/bundle/main.js`, see app-process.ts) and restarts one that
 * dies on its own (SIGKILL, crash) after a short pause: its stalled jobs are picked up again.
 */
export function superviseWorkers(options: {
  stages: readonly Stage[];
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Where workers' stdout/stderr go: inherited, or a file descriptor. */
  output?: 'inherit' | number;
  restartDelayMs?: number;
  /** A worker stopped on bad configuration (exit 78): it is not restarted. */
  onConfigError?: (stage: Stage) => void;
  /**
   * Start each worker in its own process group, so a terminal's Ctrl-C (SIGINT to the foreground
   * group) reaches only the supervisor, which then stops each worker with one signal — a worker
   * that got the terminal's SIGINT and the supervisor's SIGTERM would take the second as "exit now".
   * The caller must then stop the workers itself on every signal it gets.
   */
  detached?: boolean;
}): Supervisor {
  const children = new Map<Stage, ChildProcess>();
  let stopping = false;
  const exits = new Map<Stage, Promise<void>>();

  const start = (stage: Stage): void => {
    const child = spawn(process.execPath, appProcessArgs(`worker-${stage}`), {
      env: options.env,
      detached: options.detached ?? false,
      stdio: ['ignore', options.output ?? 'inherit', options.output ?? 'inherit'],
    });
    children.set(stage, child);
    exits.set(
      stage,
      new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          if (stopping) {
            resolve();
            return;
          }
          if (code === 78) {
            options.log(`worker-${stage} stopped: configuration error (see above)`);
            options.onConfigError?.(stage);
            resolve();
            return;
          }
          options.log(`worker-${stage} (pid ${child.pid}) exited (${signal ?? code}); restarting`);
          setTimeout(() => {
            if (!stopping) start(stage);
            resolve();
          }, options.restartDelayMs ?? 1_000);
        });
      }),
    );
    options.log(`worker-${stage} started (pid ${child.pid})`);
  };

  for (const stage of options.stages) start(stage);

  const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
  let exited: Promise<void> | undefined;
  return {
    children,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopping = true;
      exited ??= Promise.all(
        [...children.values()].map((child) =>
          alive(child) ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : undefined,
        ),
      ).then(() => undefined);
      for (const child of children.values()) if (alive(child)) child.kill(signal);
      return exited;
    },
    get exited() {
      return exited ?? Promise.all([...exits.values()]).then(() => undefined);
    },
  };
}
