import { ConfigError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { loadJudgeConfig } from './judge-config.ts';

describe('judge configuration', () => {
  it('defaults to the facts-only judge when no URL is set', () => {
    expect(loadJudgeConfig({})).toEqual({ mode: 'facts' });
  });

  it('fills the defaults of an LLM judge and normalises the URL', () => {
    const config = loadJudgeConfig({
      GAVEL_JUDGE_URL: 'http://127.0.0.1:8000/v1/',
      GAVEL_JUDGE_MODEL: 'qwen3-32b-nvfp4',
      GAVEL_JUDGE_FAMILY: 'qwen',
      GAVEL_JUDGE_K: '4',
    });
    expect(config).toMatchObject({
      mode: 'vllm',
      url: 'http://127.0.0.1:8000',
      k: 4,
      kTemperature: 0.7,
      contextTokens: 16_384,
      inflight: 64,
      routing: { min_agreement: 0.8, threshold_margin: 0.05 },
    });
  });

  it('names every missing or bad variable in one ConfigError', () => {
    const attempt = () => loadJudgeConfig({ GAVEL_JUDGE: 'ollama', GAVEL_JUDGE_INFLIGHT: '0' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /GAVEL_JUDGE_INFLIGHT="0".*GAVEL_JUDGE_URL: required when GAVEL_JUDGE=ollama.*GAVEL_JUDGE_MODEL.*GAVEL_JUDGE_FAMILY/,
    );
  });

  it('reads a critic of its own (GAVEL_CRITIC_*), with its URL normalised and its key kept', () => {
    const judge = {
      GAVEL_JUDGE_URL: 'http://127.0.0.1:8000',
      GAVEL_JUDGE_MODEL: 'qwen3-32b-nvfp4',
      GAVEL_JUDGE_FAMILY: 'qwen',
      GAVEL_JUDGE_CRITIQUE: '1',
    };
    expect(loadJudgeConfig(judge)).not.toHaveProperty('critic');
    const config = loadJudgeConfig({
      ...judge,
      GAVEL_CRITIC_URL: 'http://127.0.0.1:8100/v1',
      GAVEL_CRITIC_MODEL: 'llama-critic',
      GAVEL_CRITIC_FAMILY: 'llama',
      GAVEL_CRITIC_API_KEY: 'k-1',
    });
    expect(config).toMatchObject({
      critique: 1,
      critic: { mode: 'vllm', url: 'http://127.0.0.1:8100', model: 'llama-critic', family: 'llama', apiKey: 'k-1' },
    });
  });

  it('refuses a critic without model or family, or one no critique pass would ask', () => {
    const base = {
      GAVEL_JUDGE_URL: 'http://127.0.0.1:8000',
      GAVEL_JUDGE_MODEL: 'qwen3-32b-nvfp4',
      GAVEL_JUDGE_FAMILY: 'qwen',
      GAVEL_CRITIC_URL: 'http://127.0.0.1:8100',
    };
    expect(() => loadJudgeConfig({ ...base, GAVEL_JUDGE_CRITIQUE: '2' })).toThrow(
      /GAVEL_CRITIC_MODEL: required when GAVEL_CRITIC_URL is set.*GAVEL_CRITIC_FAMILY: required when GAVEL_CRITIC_URL is set/,
    );
    expect(() =>
      loadJudgeConfig({ ...base, GAVEL_CRITIC_MODEL: 'llama-critic', GAVEL_CRITIC_FAMILY: 'llama' }),
    ).toThrow(/GAVEL_JUDGE_CRITIQUE.*no critique pass is asked for/);
  });
});
