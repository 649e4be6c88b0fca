import type { RunProgress } from '@gavel/queue';
import { describe, expect, it } from 'vitest';
import { progressChanged, progressFrame } from './run-events.ts';

const progress = (ended: number, total = 3): RunProgress => ({
  total,
  generated: 0,
  facts: ended,
  judged: ended,
  routed: 0,
  arbitrated: 0,
  verdicts: ended,
  failed: 0,
  failedByStage: {},
  ended,
});

describe('run progress events', () => {
  it('frames progress as SSE, and the last one as ended', () => {
    expect(progressFrame('r', progress(1), 7)).toBe(
      'id: 7\nevent: progress\ndata: {"run_id":"r","total":3,"ended":1,"verdicts":1,"failed":0,"facts":1,"judged":1,"routed":0,"arbitrated":0}\n\n',
    );
    expect(progressFrame('r', progress(3), 8)).toMatch(/^id: 8\nevent: ended\n/);
    // a run with no samples yet has not ended
    expect(progressFrame('r', progress(0, 0), 1)).toMatch(/event: progress/);
  });

  it('sends a frame only when a count changed', () => {
    expect(progressChanged(undefined, progress(0))).toBe(true);
    expect(progressChanged(progress(1), progress(1))).toBe(false);
    expect(progressChanged(progress(1), progress(2))).toBe(true);
    expect(progressChanged(progress(1), { ...progress(1), failed: 1 })).toBe(true);
  });
});
