import type { ArbiterSampleState } from '@gavel/arbiter/state';
import {
  assertExhaustive,
  type Completion,
  type Facts,
  type GenerationSlot,
  type RunManifest,
  type SampleFailure,
  type Stage,
  type Verdict,
} from '@gavel/core';

/** What the run store holds about one sample, as the next-job decision needs it. */
export interface SampleStanding {
  /** The sample's generation slot (a sample the SUT writes) and its stored completion, if any. */
  generation?: GenerationSlot;
  completion?: Completion;
  facts?: Facts;
  judgement?: Verdict;
  verdict?: Verdict;
  failure?: SampleFailure;
  /** The arbiter's record of the sample (`arb:state`), when it reached arbiter-submit. */
  arbiter?: Pick<ArbiterSampleState, 'status' | 'attempt'>;
}

/** Where a sample goes next, decided from the run store alone. */
export type NextJob =
  | { kind: 'decided' }
  /** The job that moves the sample on: `stage`, for arbiter stages the `attempt`'s job (0 otherwise). */
  | { kind: 'job'; stage: Stage; attempt: number }
  /** No job can move it on; `reason` says what to do. */
  | { kind: 'stuck'; reason: string };

/**
 * The job a sample with neither verdict nor failure needs, from what the run store holds: a sample
 * the SUT writes without its completion → generate; no facts
 * → sandbox; facts without a judgement → judge; a judgement that is final (or routed on a run
 * without an arbiter) → judge, which records the verdict from the stored judgement without
 * grading again; a routed judgement → arbiter-submit for the attempt still pending (attempt 0 when
 * it never reached the arbiter), or arbiter-collect for the attempt already in a batch (or to be
 * asked again on its own).
 */
export function nextJob(standing: SampleStanding, manifest: Pick<RunManifest, 'stages'>): NextJob {
  if (standing.verdict || standing.failure) return { kind: 'decided' };
  if (standing.generation && !standing.completion) return { kind: 'job', stage: 'generate', attempt: 0 };
  if (!standing.facts) return { kind: 'job', stage: 'sandbox', attempt: 0 };
  const judgement = standing.judgement;
  if (!judgement) return { kind: 'job', stage: 'judge', attempt: 0 };
  if (judgement.route !== 'arbiter' || manifest.stages.arbiter.mode === 'none') {
    return { kind: 'job', stage: 'judge', attempt: 0 };
  }
  const arbiter = standing.arbiter;
  if (!arbiter) return { kind: 'job', stage: 'arbiter-submit', attempt: 0 };
  switch (arbiter.status) {
    case 'pending':
      return { kind: 'job', stage: 'arbiter-submit', attempt: arbiter.attempt };
    case 'submitted':
    case 'reask':
      return { kind: 'job', stage: 'arbiter-collect', attempt: arbiter.attempt };
    case 'done':
    case 'failed':
      return {
        kind: 'stuck',
        reason: `the arbiter marked attempt ${arbiter.attempt} ${arbiter.status} but recorded no ${arbiter.status === 'done' ? 'verdict' : 'failure'}`,
      };
    default:
      return assertExhaustive(arbiter.status);
  }
}
