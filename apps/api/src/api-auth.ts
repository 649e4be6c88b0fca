import { createHash, timingSafeEqual } from 'node:crypto';
import type { AllowedHosts, ApiAuth } from './api-config.ts';

/** Constant-time string compare (both sides hashed first, so a length never leaks). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** What the API does with a request's credentials. */
export type AuthDecision = { kind: 'allow' } | { kind: 'unauthenticated' } | { kind: 'read-only' };

/** True when `token` equals one of `tokens`; every token is compared, so timing says nothing about which. */
function oneOf(tokens: readonly string[], token: string): boolean {
  let found = false;
  for (const t of tokens) found = safeEqual(t, token) || found;
  return found;
}

/** Pure: may a request carrying this Authorization header do a read (`write` false) or a write? */
export function authorize(auth: ApiAuth, header: string | undefined, write: boolean): AuthDecision {
  if (auth.kind === 'none') return { kind: 'allow' };
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  const token = match?.[1];
  if (token === undefined) return { kind: 'unauthenticated' };
  if (oneOf(auth.write, token)) return { kind: 'allow' };
  if (oneOf(auth.read, token)) return write ? { kind: 'read-only' } : { kind: 'allow' };
  return { kind: 'unauthenticated' };
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
