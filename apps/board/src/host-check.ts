import type { NextFunction, Request, Response } from 'express';
import type { BoardEnv } from './board-config.ts';
import { isLoopback } from './board-config.ts';

/** The Host names a request may carry, or `any` when the board does not check it. */
export type AllowedHosts = { kind: 'any' } | { kind: 'listed'; names: ReadonlySet<string> };

/**
 * Pure: which Host headers the board answers. Without credentials (loopback only) a page on any
 * site could reach the board through DNS rebinding (its own name resolving to 127.0.0.1), so the
 * Host must be a loopback name, the listen address, or one of `GAVEL_BOARD_ALLOWED_HOSTS`. With
 * credentials the check applies only when `GAVEL_BOARD_ALLOWED_HOSTS` is set.
 */
export function allowedHostsFor(env: BoardEnv, authenticated: boolean): AllowedHosts {
  const listed = env.GAVEL_BOARD_ALLOWED_HOSTS ?? [];
  if (authenticated && listed.length === 0) return { kind: 'any' };
  const names = new Set(listed.map((h) => h.toLowerCase()));
  if (!authenticated || isLoopback(env.GAVEL_BOARD_HOST)) {
    for (const name of ['localhost', '127.0.0.1', '::1']) names.add(name);
  }
  names.add(env.GAVEL_BOARD_HOST.toLowerCase());
  return { kind: 'listed', names };
}

/** Pure: the host name of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`), lower-cased. */
export function hostName(header: string): string | undefined {
  const trimmed = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(trimmed);
  if (v6) return v6[1];
  const plain = /^([a-z0-9.-]+)(?::\d+)?$/.exec(trimmed);
  return plain?.[1]?.replace(/\.$/, '');
}

/** Pure: may a request with this Host header be answered? */
export function hostAllowed(allowed: AllowedHosts, header: string | undefined): boolean {
  if (allowed.kind === 'any') return true;
  const name = header === undefined ? undefined : hostName(header);
  return name !== undefined && allowed.names.has(name);
}

/** Express middleware: refuses (403) a request whose Host the board does not answer to. */
export function hostCheckMiddleware(allowed: AllowedHosts) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (hostAllowed(allowed, req.headers.host)) {
      next();
      return;
    }
    res
      .status(403)
      .type('text/plain')
      .send('this board does not answer to that Host; add the name to GAVEL_BOARD_ALLOWED_HOSTS to allow it');
  };
}
