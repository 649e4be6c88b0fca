import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { createArbiterClients } from './arbiter-clients.ts';
import { loadArbiterConfig } from './arbiter-config.ts';

const batch = {
  GAVEL_ARBITER: 'anthropic-batch',
  GAVEL_ARBITER_MODEL: 'claude-sonnet-4-6',
  ANTHROPIC_API_KEY: 'sk-secret-value',
};

describe('loadArbiterConfig', () => {
  it('defaults to no arbiter, a 1h cache TTL and batch limits within the API', () => {
    const c = loadArbiterConfig({});
    expect(c.mode).toBe('none');
    expect(c.cacheTtl).toBe('1h');
    expect(c.batchMaxRequests).toBeLessThanOrEqual(100_000);
    expect(c.batchMaxBytes).toBeLessThanOrEqual(256_000_000);
  });
  it('takes ANTHROPIC_API_KEY and never shows it when the config is logged', () => {
    const c = loadArbiterConfig(batch);
    expect(c.apiKey()).toBe('sk-secret-value');
    expect(JSON.stringify(c)).not.toContain('sk-secret-value');
  });
  it('refuses a batch arbiter without a model or key, and a model missing from the price table', () => {
    expect(() => loadArbiterConfig({ GAVEL_ARBITER: 'anthropic-batch' })).toThrow(/GAVEL_ARBITER_MODEL: required/);
    expect(() => loadArbiterConfig({ ...batch, ANTHROPIC_API_KEY: undefined })).toThrow(/GAVEL_ARBITER_API_KEY/);
    expect(() => loadArbiterConfig({ ...batch, GAVEL_ARBITER_MODEL: 'mystery' })).toThrow(ConfigError);
    expect(() => loadArbiterConfig({ ...batch, GAVEL_ARBITER_CACHE_TTL: '10m' })).toThrow(/GAVEL_ARBITER_CACHE_TTL/);
    expect(() => loadArbiterConfig({ ...batch, GAVEL_ARBITER_BATCH_MAX_REQUESTS: '100001' })).toThrow(
      /GAVEL_ARBITER_BATCH_MAX_REQUESTS/,
    );
  });
  it('reads a price file and names a bad field in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gavel-prices-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ 'my-model': { input_per_mtok: 2, output_per_mtok: 8 } }));
    expect(
      loadArbiterConfig({ ...batch, GAVEL_ARBITER_MODEL: 'my-model', GAVEL_PRICES_FILE: good }).prices['my-model'],
    ).toMatchObject({
      input_per_mtok: 2,
      cache_read: 0.1,
      batch: 0.5,
    });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ 'my-model': { input_per_mtok: -1, output_per_mtok: 8 } }));
    expect(() => loadArbiterConfig({ ...batch, GAVEL_PRICES_FILE: bad })).toThrow(/my-model\.input_per_mtok/);
  });
  it("honours the SDKs' own ANTHROPIC_BASE_URL and OPENAI_BASE_URL/OPENAI_API_KEY as fallbacks of the GAVEL_* variables", () => {
    const gateway = 'http://127.0.0.1:9/anthropic-gateway';
    const anthropic = createArbiterClients(loadArbiterConfig({ ...batch, ANTHROPIC_BASE_URL: gateway })).anthropic;
    expect(anthropic?.baseURL).toBe(gateway);
    // GAVEL_ARBITER_URL wins over the SDK's variable.
    const own = 'http://127.0.0.1:9/own';
    expect(
      createArbiterClients(loadArbiterConfig({ ...batch, ANTHROPIC_BASE_URL: gateway, GAVEL_ARBITER_URL: own }))
        .anthropic?.baseURL,
    ).toBe(own);
    const oai = loadArbiterConfig({
      GAVEL_ARBITER: 'openai-compatible',
      GAVEL_ARBITER_MODEL: 'big-local',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_API_KEY: 'sk-openai-secret',
    });
    expect(oai.apiKey()).toBe('sk-openai-secret');
    expect(JSON.stringify(oai)).not.toContain('sk-openai-secret');
    const openai = createArbiterClients(oai).openai;
    expect(openai?.baseURL).toBe('http://127.0.0.1:9/v1');
    expect(openai?.apiKey).toBe('sk-openai-secret');
  });
});
