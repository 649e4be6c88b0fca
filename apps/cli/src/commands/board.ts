import { runAppInForeground } from '../foreground-app.ts';

/**
 * `gavel board [--host H] [--port P]`: Bull Board over the four stage queues, in the foreground
 * (its own process, as in production). Loopback unless told otherwise; off loopback it refuses to
 * start without GAVEL_BOARD_USER/GAVEL_BOARD_PASSWORD or GAVEL_BOARD_TOKEN.
 */
export async function boardCommand(options: { host?: string; port?: number }): Promise<void> {
  const env = { ...process.env };
  if (options.host !== undefined) env.GAVEL_BOARD_HOST = options.host;
  if (options.port !== undefined) env.GAVEL_BOARD_PORT = String(options.port);
  await runAppInForeground('board', env);
}
