import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const API_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'api', 'src', 'main.ts');

/**
 * `gavel serve [--host H] [--port P]`: the HTTP API over runs, in the foreground (its own process).
 * Loopback unless told otherwise; off loopback it refuses to start without GAVEL_API_TOKEN.
 */
export async function serveCommand(options: { host?: string; port?: number }): Promise<void> {
  const env = { ...process.env };
  if (options.host !== undefined) env.GAVEL_API_HOST = options.host;
  if (options.port !== undefined) env.GAVEL_API_PORT = String(options.port);
  const child = spawn(process.execPath, ['--import', 'tsx', API_MAIN], { env, stdio: 'inherit' });
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
