import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DurableRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Sends `signal` and waits for the server to exit (SIGKILL: a crash, the AOF as it stands). */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * A redis-server on `port` with its data in `dir` that can be killed and started again on the same
 * port from the same AOF (appendfsync everysec, no AOF rewrite, so the AOF keeps every write made).
 * `extraArgs` are appended (e.g. `--requirepass`).
 */
export function durableRedis(port: number, dir: string, extraArgs: readonly string[] = []): DurableRedis {
  let child: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--auto-aof-rewrite-percentage',
    '0',
    '--maxmemory-policy',
    'noeviction',
    ...extraArgs,
  ];
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start(): Promise<void> {
      const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let output = '';
      started.stdout?.on('data', (c: Buffer) => {
        output += c.toString();
      });
      const deadline = Date.now() + 20_000;
      while (!output.includes('Ready to accept connections')) {
        if (started.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
        if (Date.now() > deadline) throw new Error(`redis-server did not start: ${output}`);
        await sleep(20);
      }
    },
    async kill(signal: NodeJS.Signals): Promise<void> {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
