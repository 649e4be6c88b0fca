import { ConfigError, GAVEL_VERSION, RunManifest } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { pinnedJudgeConfig } from './judge-recheck.ts';

function manifest(): RunManifest {
  return RunManifest.parse({
    run_id: 'r',
    created_at: '2026-12-01T00:00:00Z',
    gavel_version: GAVEL_VERSION,
    dataset: { format: 'jsonl', files: [], sha256: '0'.repeat(64), samples: 0, skipped_invalid: 0 },
    rubrics: {},
    stages: {
      sandbox: {},
      judge: { mode: 'vllm', model: 'pinned-judge', family: 'judgefam', seed: 11, k: 3 },
      arbiter: {},
    },
  });
}

describe('the judge verify asks again', () => {
  it("is the run's pinned judge — mode, model, family, seed, no extra samples — at the configured URL", () => {
    const config = pinnedJudgeConfig(manifest(), {
      GAVEL_JUDGE: 'facts',
      GAVEL_JUDGE_URL: 'http://127.0.0.1:8000/v1',
      GAVEL_JUDGE_MODEL: 'another-judge',
      GAVEL_JUDGE_SEED: '99',
      GAVEL_JUDGE_K: '5',
    });
    expect(config).toMatchObject({
      mode: 'vllm',
      url: 'http://127.0.0.1:8000',
      model: 'pinned-judge',
      family: 'judgefam',
      seed: 11,
      k: 0,
    });
  });

  it('needs GAVEL_JUDGE_URL, named in the configuration error', () => {
    expect(() => pinnedJudgeConfig(manifest(), {})).toThrow(ConfigError);
    expect(() => pinnedJudgeConfig(manifest(), {})).toThrow(/GAVEL_JUDGE_URL/);
  });
});
