import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadBaseConfig } from './config.ts';
import { parseEnv } from './env.ts';
import { ConfigError } from './errors.ts';

describe('base configuration from GAVEL_* variables', () => {
  it('fills defaults: loopback metrics, the gavel queue prefix, a local Redis', () => {
    const config = loadBaseConfig({});
    expect(config.GAVEL_REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.GAVEL_QUEUE_PREFIX).toBe('gavel');
    expect(config.GAVEL_METRICS_HOST).toBe('127.0.0.1');
    expect(config.GAVEL_CONCURRENCY).toBeUndefined();
  });

  it('coerces numbers', () => {
    expect(loadBaseConfig({ GAVEL_CONCURRENCY: '12', GAVEL_ATTEMPTS: '3' })).toMatchObject({
      GAVEL_CONCURRENCY: 12,
      GAVEL_ATTEMPTS: 3,
    });
  });

  it('names every bad variable and its value in one line', () => {
    let error: unknown;
    try {
      loadBaseConfig({ GAVEL_CONCURRENCY: '-1', GAVEL_QUEUE_PREFIX: 'a:b', GAVEL_REDIS_URL: 'nope' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain('GAVEL_CONCURRENCY="-1"');
    expect(message).toContain('GAVEL_QUEUE_PREFIX="a:b": must not contain ":"');
    expect(message).toContain('GAVEL_REDIS_URL="nope"');
  });
});

describe('GAVEL_REDIS_CLUSTER', () => {
  it('parses host:port seed nodes, IPv6 in brackets', () => {
    const config = loadBaseConfig({ GAVEL_REDIS_CLUSTER: '127.0.0.1:7000, redis-b:7001,[::1]:7002' });
    expect(config.GAVEL_REDIS_CLUSTER).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(loadBaseConfig({}).GAVEL_REDIS_CLUSTER).toBeUndefined();
  });

  it('names the entry that is not host:port, in one line', () => {
    for (const [value, entry] of [
      ['127.0.0.1:7000,127.0.0.1', '127.0.0.1'],
      ['redis://a:7000', 'redis://a:7000'],
      ['a:70000', 'a:70000'],
      ['', ''],
    ] as const) {
      const error = (() => {
        try {
          loadBaseConfig({ GAVEL_REDIS_CLUSTER: value });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(error, value).toBeInstanceOf(ConfigError);
      expect(error?.message).toContain(
        `GAVEL_REDIS_CLUSTER=${JSON.stringify(value)}: entry ${JSON.stringify(entry)} is not host:port`,
      );
      expect(error?.message.split('\n')).toHaveLength(1);
    }
  });

  it('refuses GAVEL_REDIS_URL beside it (which one was meant?)', () => {
    expect(() =>
      loadBaseConfig({ GAVEL_REDIS_CLUSTER: '127.0.0.1:7000', GAVEL_REDIS_URL: 'redis://127.0.0.1:6379' }),
    ).toThrow(/GAVEL_REDIS_URL and GAVEL_REDIS_CLUSTER are both set/);
  });

  it('drops braces from GAVEL_QUEUE_PREFIX (each queue brings its own hash tag)', () => {
    expect(loadBaseConfig({ GAVEL_QUEUE_PREFIX: '{gavel}' }).GAVEL_QUEUE_PREFIX).toBe('gavel');
    expect(() => loadBaseConfig({ GAVEL_QUEUE_PREFIX: '{}' })).toThrow(/GAVEL_QUEUE_PREFIX/);
  });
});

describe('secrets in configuration errors', () => {
  it('names a bad secret variable without its value, and hides a URL password', () => {
    const schema = z.object({
      GAVEL_ARBITER_API_KEY: z.string().startsWith('sk-'),
      GAVEL_BOARD_PASSWORD: z.string().min(12),
      GAVEL_REDIS_URL: z.string().endsWith('/0'),
    });
    let message = '';
    try {
      parseEnv(schema, {
        GAVEL_ARBITER_API_KEY: 'not-a-key-but-secret-1',
        GAVEL_BOARD_PASSWORD: 'secret-2',
        GAVEL_REDIS_URL: 'redis://gavel:secret-3@redis.internal:6379/1',
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('GAVEL_ARBITER_API_KEY=[redacted]');
    expect(message).toContain('GAVEL_BOARD_PASSWORD=[redacted]: Too small');
    expect(message).toContain('GAVEL_REDIS_URL="redis://gavel:[redacted]@redis.internal:6379/1"');
    expect(message).not.toMatch(/secret-\d/);
  });
});
