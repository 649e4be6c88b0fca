import { ConfigError, envBoolean } from '@gavel/core';
import { z } from 'zod';

export const BoardEnv = z.object({
  GAVEL_BOARD_HOST: z.string().min(1).default('127.0.0.1'),
  GAVEL_BOARD_PORT: z.coerce.number().int().min(0).max(65535).default(3030),
  GAVEL_BOARD_USER: z.string().min(1).optional(),
  GAVEL_BOARD_PASSWORD: z.string().min(12, 'GAVEL_BOARD_PASSWORD must be at least 12 characters').optional(),
  GAVEL_BOARD_TOKEN: z.string().min(24, 'GAVEL_BOARD_TOKEN must be at least 24 characters').optional(),
  /** Extra Host names the board answers to (comma-separated), besides loopback names and its listen address. */
  GAVEL_BOARD_ALLOWED_HOSTS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.:-]+$/, 'host names only, comma-separated')))
    .optional(),
  /** Empty, obliterate, clean, remove, add and edit jobs from the UI (they strand samples). @default false */
  GAVEL_BOARD_ALLOW_DESTRUCTIVE: envBoolean.default(false),
});
export type BoardEnv = z.infer<typeof BoardEnv>;

export type BoardAuth =
  | { kind: 'none' }
  | { kind: 'basic'; user: string; password: string; token?: string }
  | { kind: 'token'; token: string };

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Pure: which auth the board uses, refusing a non-loopback bind without credentials. */
export function boardAuthFor(env: BoardEnv): BoardAuth {
  if (Boolean(env.GAVEL_BOARD_USER) !== Boolean(env.GAVEL_BOARD_PASSWORD)) {
    throw new ConfigError('GAVEL_BOARD_USER and GAVEL_BOARD_PASSWORD must be set together');
  }
  const auth: BoardAuth =
    env.GAVEL_BOARD_USER && env.GAVEL_BOARD_PASSWORD
      ? { kind: 'basic', user: env.GAVEL_BOARD_USER, password: env.GAVEL_BOARD_PASSWORD, token: env.GAVEL_BOARD_TOKEN }
      : env.GAVEL_BOARD_TOKEN
        ? { kind: 'token', token: env.GAVEL_BOARD_TOKEN }
        : { kind: 'none' };
  if (auth.kind === 'none' && !isLoopback(env.GAVEL_BOARD_HOST)) {
    throw new ConfigError(
      `GAVEL_BOARD_HOST=${env.GAVEL_BOARD_HOST} is not loopback: set GAVEL_BOARD_USER/GAVEL_BOARD_PASSWORD or GAVEL_BOARD_TOKEN`,
    );
  }
  return auth;
}
