import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, SOURCE_NODE_ARGS } from '../support/gavel.ts';
import { gavelContainers, sandboxImage } from './sandbox-fixtures.ts';

// A closed sandbox leaves nothing holding its process: the attach connection of the container made
// ahead and never started was only half-closed when it was discarded, stayed open after its removal,
// and kept the process (a benchmark; a worker after its shutdown) from exiting.

describe('closing a Docker sandbox', () => {
  it('lets its process exit by itself', async () => {
    const child = spawn(process.execPath, [...SOURCE_NODE_ARGS, 'test/integration/sandbox-close-child.ts'], {
      cwd: ROOT,
      env: { ...process.env, GAVEL_SANDBOX_IMAGE: sandboxImage(), GAVEL_SANDBOX_CONCURRENCY: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    let printedAt = 0;
    child.stdout.on('data', () => {
      printedAt ||= Date.now();
    });
    // Not a timing assertion: a child still there 60 s after it printed its result never exits on its own.
    const exit = await new Promise<number | string | null>((resolve) => {
      const check = setInterval(() => {
        if (printedAt && Date.now() - printedAt > 60_000) {
          child.kill('SIGKILL');
          resolve('still running after closing its sandbox');
        }
      }, 500);
      child.on('exit', (code) => {
        clearInterval(check);
        resolve(code);
      });
    });
    expect(JSON.parse(out)).toEqual({ passed: 1 });
    expect(exit).toBe(0);
    expect(gavelContainers(child.pid)).toEqual([]);
  });
});
