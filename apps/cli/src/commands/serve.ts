import { runAppInForeground } from '../foreground-app.ts';

/**
 * `gavel serve [--host H] [--port P]`: the HTTP API over runs, in the foreground (its own process).
 * Loopback unless told otherwise; off loopback it refuses to start without GAVEL_API_TOKEN.
 */
export async function serveCommand(options: { host?: string; port?: number }): Promise<void> {
  const env = { ...process.env };
  if (options.host !== undefined) env.GAVEL_API_HOST = options.host;
  if (options.port !== undefined) env.GAVEL_API_PORT = String(options.port);
  await runAppInForeground('api', env);
}
