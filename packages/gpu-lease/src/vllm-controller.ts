import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Logger, silentLogger } from '@gavel/core';
import { sleep } from './sleep.ts';

export interface VllmControllerOptions {
  argv: readonly [string, ...string[]];
  /** Base URL the server answers on (`/health`). */
  url: string;
  /** The pid is kept here while the server runs, so a restarted agent can stop an orphan. */
  pidFile: string;
  /** vLLM's stdout and stderr are appended here. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  healthPollMs?: number;
}

export interface VllmController {
  /** Spawns the configured command; throws if one is already running. */
  start(): Promise<void>;
  /** Polls `/health` until 200; throws if the process exits first or `signal` aborts. */
  waitHealthy(signal: AbortSignal): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves when the process is gone. Safe to call twice. */
  stop(timeoutMs: number): Promise<{ signal: 'SIGTERM' | 'SIGKILL' | 'none'; code: number | null }>;
  /** Stops a server left by a previous agent (pid file whose process still runs this command). */
  stopOrphan(timeoutMs: number): Promise<number | undefined>;
  running(): boolean;
  pid(): number | undefined;
  /** Called when the server exits without {@link stop} being asked. */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
}

/** True while `pid` runs; a zombie (exited, not yet reaped by its parent) holds no GPU memory and counts as gone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

/** Starts and stops the vLLM server process (`vllm serve …`) and watches its health endpoint. */
export function createVllmController(options: VllmControllerOptions): VllmController {
  const log = (options.logger ?? silentLogger).child({ component: 'vllm' });
  const healthUrl = `${options.url.replace(/\/+$/, '')}/health`;
  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  let stopping = false;
  const listeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];

  const controller: VllmController = {
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('vLLM is already running');
      stopping = false;
      const [command, ...args] = options.argv;
      // Output goes to a log file, not a pipe: vLLM must outlive a crashed agent (the next agent
      // stops it through the pid file) rather than die of a broken pipe at an arbitrary moment.
      await mkdir(dirname(options.logFile), { recursive: true });
      const logFd = openSync(options.logFile, 'a');
      let proc: ChildProcess;
      try {
        proc = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', logFd, logFd] });
      } finally {
        closeSync(logFd);
      }
      child = proc;
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        proc.once('exit', (code, signal) => resolve({ code, signal }));
        proc.once('error', (error) => {
          log.error({ err: error, command }, 'vLLM failed to spawn');
          resolve({ code: 127, signal: null });
        });
      });
      // The pid file is gone by the time anyone sees the exit.
      exited = ended.then(async (result) => {
        await rm(options.pidFile, { force: true }).catch(() => {});
        return result;
      });
      void exited.then(({ code, signal }) => {
        if (!stopping) {
          log.warn({ code, signal }, 'vLLM exited unexpectedly');
          for (const listener of listeners) listener(code, signal);
        }
      });
      if (proc.pid !== undefined) {
        await mkdir(dirname(options.pidFile), { recursive: true });
        await writeFile(options.pidFile, `${proc.pid}\n`);
      }
      log.info({ vllmPid: proc.pid, command, logFile: options.logFile }, 'vLLM started');
    },
    async waitHealthy(signal) {
      const proc = child;
      if (!proc || !exited) throw new Error('vLLM is not running');
      let gone = false;
      void exited.then(() => {
        gone = true;
      });
      for (;;) {
        signal.throwIfAborted();
        if (gone) {
          const { code, signal: sig } = await exited;
          throw new Error(`vLLM exited (code ${code}, signal ${sig}) before /health answered`);
        }
        try {
          const res = await fetch(healthUrl, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) });
          await res.body?.cancel();
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        await sleep(options.healthPollMs ?? 200, signal);
      }
    },
    async stop(timeoutMs) {
      const proc = child;
      if (!proc || !exited) return { signal: 'none', code: null };
      stopping = true;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        const done = await exited;
        return { signal: 'none', code: done.code };
      }
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        exited.then((r) => ({ ...r, timedOut: false })),
        new Promise<{ timedOut: true }>((resolve) => {
          timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!outcome.timedOut) return { signal: 'SIGTERM', code: outcome.code };
      log.warn({ timeoutMs }, 'vLLM ignored SIGTERM: killing');
      proc.kill('SIGKILL');
      const done = await exited;
      return { signal: 'SIGKILL', code: done.code };
    },
    async stopOrphan(timeoutMs) {
      let pid: number;
      try {
        pid = Number.parseInt(await readFile(options.pidFile, 'utf8'), 10);
      } catch {
        return undefined;
      }
      if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
        await rm(options.pidFile, { force: true });
        return undefined;
      }
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.split('\0').filter(Boolean).join(' ') !== options.argv.join(' ')) {
        log.warn(
          { vllmPid: pid, pidFile: options.pidFile },
          'pid file names a process that is not our vLLM: leaving it',
        );
        await rm(options.pidFile, { force: true });
        return undefined;
      }
      log.warn({ vllmPid: pid }, 'stopping a vLLM left by a previous agent');
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone(pid, timeoutMs))) {
        process.kill(pid, 'SIGKILL');
        await waitGone(pid, 5_000);
      }
      await rm(options.pidFile, { force: true });
      return pid;
    },
    running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    pid() {
      return controller.running() ? child?.pid : undefined;
    },
    onUnexpectedExit(listener) {
      listeners.push(listener);
    },
  };
  return controller;
}
