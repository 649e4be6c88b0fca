import { describe, expect, it } from 'vitest';
import { loadSutConfig } from './sut-config.ts';

describe('the SUT environment', () => {
  it('is absent without GAVEL_SUT_URL (also when compose sets it empty)', () => {
    expect(loadSutConfig({})).toBeUndefined();
    expect(loadSutConfig({ GAVEL_SUT_URL: '', GAVEL_SUT_MODEL: '' })).toBeUndefined();
  });

  it('takes the server root with or without /v1, and fills the defaults', () => {
    expect(loadSutConfig({ GAVEL_SUT_URL: 'http://127.0.0.1:8000/v1/', GAVEL_SUT_MODEL: 'qwen' })).toEqual({
      url: 'http://127.0.0.1:8000',
      model: 'qwen',
      apiKey: undefined,
      inflight: 16,
      requestTimeoutMs: 600_000,
      waitMs: 120_000,
      startupWaitMs: 60_000,
      gpuGate: false,
      batch: { windowMs: 60_000, maxRequests: 50_000, pollMs: 60_000, maxResubmits: 3 },
    });
  });

  it('needs a model with a URL, and never prints the key', () => {
    expect(() => loadSutConfig({ GAVEL_SUT_URL: 'http://127.0.0.1:8000' })).toThrow(
      /GAVEL_SUT_MODEL: required when GAVEL_SUT_URL is set/,
    );
    let message = '';
    try {
      loadSutConfig({
        GAVEL_SUT_URL: 'http://x',
        GAVEL_SUT_MODEL: 'm',
        GAVEL_SUT_API_KEY: 'sk-secret',
        GAVEL_SUT_INFLIGHT: '0',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/GAVEL_SUT_INFLIGHT/);
    expect(message).not.toContain('sk-secret');
  });
});
