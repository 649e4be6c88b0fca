import type { Facts, RunManifest, Verdict } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { nextJob } from './next-job.ts';

const facts = { kind: 'text' } as Facts;
const judgement = (route: 'final' | 'arbiter'): Verdict => ({ route }) as Verdict;
const withArbiter = { stages: { arbiter: { mode: 'anthropic-batch' } } } as Pick<RunManifest, 'stages'>;
const noArbiter = { stages: { arbiter: { mode: 'none' } } } as Pick<RunManifest, 'stages'>;

describe('the job an undecided sample needs, from the run store', () => {
  it('leaves decided samples alone', () => {
    expect(nextJob({ verdict: judgement('final') }, withArbiter)).toEqual({ kind: 'decided' });
    expect(nextJob({ failure: { stage: 'judge', code: 'input', reason: 'x', at: '' } }, withArbiter)).toEqual({
      kind: 'decided',
    });
  });

  it('sends a sample without facts to the sandbox, with facts but no judgement to the judge', () => {
    expect(nextJob({}, withArbiter)).toEqual({ kind: 'job', stage: 'sandbox', attempt: 0 });
    // A sample the SUT writes needs its completion first; once stored, it goes on to the sandbox.
    const slot = { generation: { index: 0, seed: 0 } };
    expect(nextJob(slot, withArbiter)).toEqual({ kind: 'job', stage: 'generate', attempt: 0 });
    const completion = {
      text: 'x',
      raw: 'x',
      finish_reason: 'stop',
      truncated: false,
      usage: null,
      model: 'm',
      via: 'request' as const,
      requests: 1,
      cost_usd: null,
      at: '',
    };
    expect(nextJob({ ...slot, completion }, withArbiter)).toEqual({ kind: 'job', stage: 'sandbox', attempt: 0 });
    expect(nextJob({ facts }, withArbiter)).toEqual({ kind: 'job', stage: 'judge', attempt: 0 });
  });

  it('sends a final judgement, or a routed one on a run without an arbiter, back to the judge', () => {
    expect(nextJob({ facts, judgement: judgement('final') }, withArbiter)).toEqual({
      kind: 'job',
      stage: 'judge',
      attempt: 0,
    });
    expect(nextJob({ facts, judgement: judgement('arbiter') }, noArbiter)).toEqual({
      kind: 'job',
      stage: 'judge',
      attempt: 0,
    });
  });

  it('follows the arbiter state of a routed sample: pending → submit, submitted or reask → collect, per attempt', () => {
    const routed = { facts, judgement: judgement('arbiter') };
    expect(nextJob(routed, withArbiter)).toEqual({ kind: 'job', stage: 'arbiter-submit', attempt: 0 });
    expect(nextJob({ ...routed, arbiter: { status: 'pending', attempt: 2 } }, withArbiter)).toEqual({
      kind: 'job',
      stage: 'arbiter-submit',
      attempt: 2,
    });
    expect(nextJob({ ...routed, arbiter: { status: 'submitted', attempt: 1 } }, withArbiter)).toEqual({
      kind: 'job',
      stage: 'arbiter-collect',
      attempt: 1,
    });
    expect(nextJob({ ...routed, arbiter: { status: 'reask', attempt: 0 } }, withArbiter)).toEqual({
      kind: 'job',
      stage: 'arbiter-collect',
      attempt: 0,
    });
    expect(nextJob({ ...routed, arbiter: { status: 'done', attempt: 0 } }, withArbiter)).toMatchObject({
      kind: 'stuck',
    });
  });
});
