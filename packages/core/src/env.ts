import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** `true/false/1/0/yes/no/on/off` (case-insensitive) → boolean; anything else is an error. */
export const envBoolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

/** A host:port listen address; loopback by default everywhere in gavel. */
export const envPort = z.coerce.number().int().min(0).max(65535);

/**
 * Parses `env` with `schema`; on failure throws one {@link ConfigError} whose message names
 * every bad variable and its problem on one line.
 */
/** Variables whose values are secrets (API keys, tokens, passwords). */
const SECRET_NAME = /KEY|TOKEN|PASSWORD|SECRET/i;

/**
 * A URL's password (`redis://user:password@host`) replaced by `[redacted]`; anything else is
 * returned as is. Use it wherever a configured URL is printed or logged.
 */
export function withoutPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/i, '$1[redacted]@');
}

export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.') || '(environment)';
    const value = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
    // a secret's value never reaches the error (it ends up in logs); its name says which one
    const shown =
      value === undefined ? '' : SECRET_NAME.test(name) ? '=[redacted]' : `=${JSON.stringify(withoutPassword(value))}`;
    return `${name}${shown}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
