import { describe, expect, it } from 'vitest';
import { stageConcurrency } from './stage-concurrency.ts';

describe('stageConcurrency', () => {
  it('takes GAVEL_CONCURRENCY, else the stage’s own, else the default', () => {
    expect(stageConcurrency({ configured: 12, stage: 136, floor: undefined, fallback: 32 })).toEqual({
      concurrency: 12,
      raised: false,
    });
    expect(stageConcurrency({ configured: undefined, stage: 136, floor: undefined, fallback: 32 })).toEqual({
      concurrency: 136,
      raised: false,
    });
    expect(stageConcurrency({ configured: undefined, stage: undefined, floor: undefined, fallback: 32 })).toEqual({
      concurrency: 32,
      raised: false,
    });
  });

  it('raises a GAVEL_CONCURRENCY below the stage’s floor to it, and keeps one above it', () => {
    // 64 request slots at k = 0 need ⌈2·64/1⌉ + 8 = 136 jobs at once.
    expect(stageConcurrency({ configured: 50, stage: 136, floor: 136, fallback: 32 })).toEqual({
      concurrency: 136,
      raised: true,
    });
    expect(stageConcurrency({ configured: 200, stage: 136, floor: 136, fallback: 32 })).toEqual({
      concurrency: 200,
      raised: false,
    });
  });
});
