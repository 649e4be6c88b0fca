import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { GAVEL_CLI, ROOT } from './gavel.ts';

export interface ApiServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `gavel serve --port 0` as a real process (from source, or `cli`: e.g. the bundled bin); resolves once
 * it printed its address.
 */
export async function startApi(
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  cli: readonly string[] = GAVEL_CLI,
): Promise<ApiServer> {
  const child = spawn(process.execPath, [...cli, 'serve', '--port', '0', ...args], {
    env: { ...process.env, GAVEL_METRICS_PORT: '0', ...env },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\{"api":"(http:\/\/[^"]+)\/"/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`gavel serve exited ${code} before listening:\n${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs `gavel serve` expecting it to refuse to start; resolves with its exit code and output. */
export async function refusedStart(
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [...GAVEL_CLI, 'serve', ...args], {
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
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}
