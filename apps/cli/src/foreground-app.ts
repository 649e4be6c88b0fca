import { spawn } from 'node:child_process';
import { appProcessArgs } from './app-process.ts';

/**
 * Runs an app's main as its own process in the foreground (as in production), forwarding SIGINT and
 * SIGTERM to it, and takes its exit status as this command's.
 */
export async function runAppInForeground(app: string, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, appProcessArgs(app), { env, stdio: 'inherit' });
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
