import { describe, expect, it } from 'vitest';
import { loadBaseConfig } from './config.ts';
import { ConfigError } from './errors.ts';

describe('base configuration from GAVEL_* variables', () => {
  it('fills defaults: loopback metrics, the {gavel} prefix, a local Redis', () => {
    const config = loadBaseConfig({});
    expect(config.GAVEL_REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.GAVEL_QUEUE_PREFIX).toBe('{gavel}');
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
