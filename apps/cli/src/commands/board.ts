import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BOARD_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'board', 'src', 'main.ts');

/**
 * `gavel board [--host H] [--port P]`: Bull Board over the four stage queues, in the foreground
 * (its own process, as in production). Loopback unless told otherwise; off loopback it refuses to
 * start without GAVEL_BOARD_USER/GAVEL_BOARD_PASSWORD or GAVEL_BOARD_TOKEN.
 */
export async function boardCommand(options: { host?: string; port?: number }): Promise<void> {
  const env = { ...process.env };
  if (options.host !== undefined) env.GAVEL_BOARD_HOST = options.host;
  if (options.port !== undefined) env.GAVEL_BOARD_PORT = String(options.port);
  const child = spawn(process.execPath, ['--import', 'tsx', BOARD_MAIN], { env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => {
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 0 : 1)));
  });
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  process.exitCode = code;
}
