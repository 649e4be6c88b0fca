import type { ChildProcess } from 'node:child_process';

/** Resolves once a child process prints `line` (a whole line) on stdout; rejects if it exits first. */
export function printed(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`a child process exited (${code}) before printing ${line}`)));
  });
}
