import { describe, expect, it } from 'vitest';
import { loadJudgeGateConfig } from './judge-gate-config.ts';

describe('loadJudgeGateConfig', () => {
  it('leaves the judge ungated unless asked, so a judge without a gpu-agent never stalls', () => {
    expect(loadJudgeGateConfig({})).toEqual({
      GAVEL_JUDGE_GPU_GATE: false,
      GAVEL_GPU_ID: '0',
      GAVEL_GPU_POLL_MS: 1000,
    });
    expect(loadJudgeGateConfig({ GAVEL_JUDGE_GPU_GATE: 'on', GAVEL_GPU_ID: '1' })).toMatchObject({
      GAVEL_JUDGE_GPU_GATE: true,
      GAVEL_GPU_ID: '1',
    });
  });

  it('names a bad value', () => {
    expect(() => loadJudgeGateConfig({ GAVEL_GPU_ID: 'gpu 0' })).toThrow(/GAVEL_GPU_ID="gpu 0"/);
  });
});
