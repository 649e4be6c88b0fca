import { ConfigError, envPort } from '@gavel/core';
import { z } from 'zod';

/** A comma-separated list; blanks dropped. */
const csv = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .optional();

const tokenList = csv.pipe(z.array(z.string().min(24, 'each token must be at least 24 characters')).optional());

export const ApiEnv = z.object({
  GAVEL_API_HOST: z.string().min(1).default('127.0.0.1'),
  GAVEL_API_PORT: envPort.default(3040),
  GAVEL_API_TOKEN: tokenList,
  GAVEL_API_READ_TOKENS: tokenList,
  GAVEL_API_ALLOWED_HOSTS: csv,
  GAVEL_API_CORS_ORIGINS: csv.pipe(z.array(z.url('each origin must be a URL such as https://dash.example')).optional()),
  GAVEL_API_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  GAVEL_API_IDEMPOTENCY_TTL_S: z.coerce.number().int().positive().default(86_400),
  GAVEL_API_IDEMPOTENCY_CLAIM_S: z.coerce.number().int().positive().default(600),
  GAVEL_API_REDIS_TIMEOUT_S: z.coerce.number().positive().default(10),
  GAVEL_API_RUBRICS_DIR: z.string().min(1).optional(),
});
export type ApiEnv = z.infer<typeof ApiEnv>;

/** Who may do what: no tokens (loopback only), or write and read-only bearer tokens. */
export type ApiAuth = { kind: 'none' } | { kind: 'bearer'; write: readonly string[]; read: readonly string[] };

/** The Host names a request may carry, or `any` when the check is off. */
export type AllowedHosts = { kind: 'any' } | { kind: 'listed'; names: ReadonlySet<string> };

export interface ApiSecurity {
  auth: ApiAuth;
  hosts: AllowedHosts;
  /** Origins allowed cross-origin; empty means CORS is off (no Access-Control-* header is sent). */
  corsOrigins: readonly string[];
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Pure: the API's security from its environment. Off loopback it refuses to start without
 * `GAVEL_API_TOKEN`; read-only tokens alone are refused too (nobody could submit). On loopback, or
 * whenever `GAVEL_API_ALLOWED_HOSTS` is set, the Host header must be a loopback name, the listen
 * address or a listed name, so a page on another site cannot reach the API through DNS rebinding.
 */
export function apiSecurityFor(env: ApiEnv): ApiSecurity {
  const write = env.GAVEL_API_TOKEN ?? [];
  const read = env.GAVEL_API_READ_TOKENS ?? [];
  if (read.length > 0 && write.length === 0) {
    throw new ConfigError('GAVEL_API_READ_TOKENS is set without GAVEL_API_TOKEN: set a write token too');
  }
  const loopback = isLoopback(env.GAVEL_API_HOST);
  if (!loopback && write.length === 0) {
    throw new ConfigError(
      `GAVEL_API_HOST=${env.GAVEL_API_HOST} is not loopback: set GAVEL_API_TOKEN (comma-separated bearer tokens)`,
    );
  }
  const listed = env.GAVEL_API_ALLOWED_HOSTS ?? [];
  let hosts: AllowedHosts = { kind: 'any' };
  if (loopback || listed.length > 0) {
    const names = new Set(listed.map((h) => h.toLowerCase()));
    if (loopback) for (const name of ['localhost', '127.0.0.1', '::1']) names.add(name);
    names.add(env.GAVEL_API_HOST.toLowerCase());
    hosts = { kind: 'listed', names };
  }
  return {
    auth: write.length === 0 ? { kind: 'none' } : { kind: 'bearer', write, read },
    hosts,
    corsOrigins: env.GAVEL_API_CORS_ORIGINS ?? [],
  };
}
