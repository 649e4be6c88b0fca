import { GenerateRunConfig } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { generationReport, reportedKs } from './generation-report.ts';

const completion = (over: Record<string, unknown> = {}) => ({
  text: 'x',
  raw: 'x',
  finish_reason: 'stop',
  truncated: false,
  usage: { prompt_tokens: 10, completion_tokens: 5 },
  model: 'm',
  via: 'request' as const,
  requests: 1,
  cost_usd: 0.001,
  at: '',
  ...over,
});

describe('the generation report', () => {
  it('reports k = 1, 5, 10 and n up to n', () => {
    expect(reportedKs(1)).toEqual([1]);
    expect(reportedKs(5)).toEqual([1, 5]);
    expect(reportedKs(20)).toEqual([1, 5, 10, 20]);
  });

  it('gives pass@k by hand and sums the completions', () => {
    const pinned = GenerateRunConfig.parse({ mode: 'openai-compatible', model: 'm', n: 5 });
    const completions = new Map([
      ['a-0', completion()],
      ['a-1', completion({ finish_reason: 'length', truncated: true, cost_usd: 0.002 })],
      ['a-2', completion({ via: 'adopted' })],
      ['a-3', completion({ requests: 2 })],
    ]);
    // Task A: 5 samples, 1 pass; task B: 5 samples, 3 pass.
    // pass@1 = (1/5 + 3/5)/2 = 0.4; pass@5 = (1 + 1)/2 = 1.
    const r = generationReport(pinned, completions, [
      { taskId: 'A', n: 5, c: 1 },
      { taskId: 'B', n: 5, c: 3 },
    ]);
    expect(r.pass_at_k).toEqual([
      { k: 1, value: expect.closeTo(0.4, 12), tasks: 2 },
      { k: 5, value: 1, tasks: 2 },
    ]);
    expect(r).toMatchObject({
      completions: 4,
      truncated: 1,
      finish_reasons: { stop: 3, length: 1 },
      via: { request: 3, adopted: 1 },
      reasked: 1,
      prompt_tokens: 40,
      completion_tokens: 20,
    });
    expect(r.cost_usd).toBeCloseTo(0.005, 12);
  });
});
