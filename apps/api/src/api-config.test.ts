import { ConfigError, parseEnv } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { authorize, hostAllowed } from './api-auth.ts';
import { ApiEnv, apiSecurityFor } from './api-config.ts';

const WRITE = 'w'.repeat(30);
const READ = 'r'.repeat(30);
const security = (env: Record<string, string>) => apiSecurityFor(parseEnv(ApiEnv, env));

describe('API configuration', () => {
  it('defaults to 127.0.0.1:3040 without tokens, CORS off and a loopback Host check', () => {
    const env = parseEnv(ApiEnv, {});
    expect([env.GAVEL_API_HOST, env.GAVEL_API_PORT]).toEqual(['127.0.0.1', 3040]);
    const s = apiSecurityFor(env);
    expect(s.auth.kind).toBe('none');
    expect(s.corsOrigins).toEqual([]);
    expect(hostAllowed(s.hosts, '127.0.0.1:3040')).toBe(true);
    expect(hostAllowed(s.hosts, 'localhost:3040')).toBe(true);
    expect(hostAllowed(s.hosts, '[::1]:3040')).toBe(true);
    expect(hostAllowed(s.hosts, 'attacker.example:3040')).toBe(false);
    expect(hostAllowed(s.hosts, undefined)).toBe(false);
  });

  it('refuses a non-loopback address without GAVEL_API_TOKEN, naming the variable', () => {
    expect(() => security({ GAVEL_API_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => security({ GAVEL_API_HOST: '0.0.0.0' })).toThrow(/GAVEL_API_TOKEN/);
    expect(() => security({ GAVEL_API_HOST: '0.0.0.0', GAVEL_API_READ_TOKENS: READ })).toThrow(/GAVEL_API_TOKEN/);
    expect(security({ GAVEL_API_HOST: '0.0.0.0', GAVEL_API_TOKEN: WRITE }).hosts.kind).toBe('any');
  });

  it('refuses a short token without printing it', () => {
    let message = '';
    try {
      security({ GAVEL_API_TOKEN: `${WRITE},short-secret-value` });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/GAVEL_API_TOKEN.1: each token must be at least 24 characters/);
    expect(message).not.toContain('short-secret-value');
  });

  it('refuses a bad port, body limit and CORS origin, naming each variable', () => {
    expect(() => security({ GAVEL_API_PORT: '70000' })).toThrow(/GAVEL_API_PORT="70000"/);
    expect(() => security({ GAVEL_API_MAX_BODY_BYTES: '-1' })).toThrow(/GAVEL_API_MAX_BODY_BYTES/);
    expect(() => security({ GAVEL_API_CORS_ORIGINS: 'not a url' })).toThrow(/GAVEL_API_CORS_ORIGINS/);
  });

  it('lets write tokens write, read tokens only read, and nothing else in', () => {
    const { auth } = security({ GAVEL_API_TOKEN: `${WRITE}, ${'x'.repeat(24)}`, GAVEL_API_READ_TOKENS: READ });
    expect(authorize(auth, `Bearer ${WRITE}`, true).kind).toBe('allow');
    expect(authorize(auth, `Bearer ${'x'.repeat(24)}`, true).kind).toBe('allow');
    expect(authorize(auth, `Bearer ${READ}`, false).kind).toBe('allow');
    expect(authorize(auth, `Bearer ${READ}`, true).kind).toBe('read-only');
    expect(authorize(auth, `Bearer ${WRITE.slice(1)}`, false).kind).toBe('unauthenticated');
    expect(authorize(auth, `Basic ${WRITE}`, false).kind).toBe('unauthenticated');
    expect(authorize(auth, undefined, false).kind).toBe('unauthenticated');
  });

  it('checks the Host off loopback only when GAVEL_API_ALLOWED_HOSTS lists names', () => {
    const s = security({
      GAVEL_API_HOST: '10.0.0.5',
      GAVEL_API_TOKEN: WRITE,
      GAVEL_API_ALLOWED_HOSTS: 'gavel.internal',
    });
    expect(hostAllowed(s.hosts, 'gavel.internal:3040')).toBe(true);
    expect(hostAllowed(s.hosts, '10.0.0.5:3040')).toBe(true);
    expect(hostAllowed(s.hosts, 'localhost:3040')).toBe(false);
    expect(hostAllowed(s.hosts, 'evil.example')).toBe(false);
  });
});
