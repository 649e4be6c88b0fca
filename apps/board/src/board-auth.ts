import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { BoardAuth } from './board-config.ts';

/** Constant-time string compare (both sides hashed first so lengths never leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Pure: does this Authorization header satisfy the configured auth? */
export function authorized(auth: BoardAuth, header: string | undefined): boolean {
  if (auth.kind === 'none') return true;
  if (!header) return false;
  const [scheme, value = ''] = header.split(' ', 2);
  const token = auth.token;
  if (scheme === 'Bearer' && token !== undefined) return safeEqual(value, token);
  if (scheme === 'Basic' && auth.kind === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const userOk = safeEqual(decoded.slice(0, colon), auth.user);
    const passOk = safeEqual(decoded.slice(colon + 1), auth.password);
    return userOk && passOk;
  }
  return false;
}

/** Express middleware in front of the board router. */
export function boardAuthMiddleware(auth: BoardAuth) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (authorized(auth, req.headers.authorization)) {
      next();
      return;
    }
    if (auth.kind === 'basic') res.setHeader('WWW-Authenticate', 'Basic realm="gavel board", charset="UTF-8"');
    res.status(401).send('unauthorized');
  };
}
