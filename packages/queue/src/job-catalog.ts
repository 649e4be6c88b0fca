import type { Stage } from '@gavel/core';
import type { JobsOptions } from 'bullmq';
import { GAVEL_BACKOFF } from './backoff.ts';

/**
 * Per-stage job options. Completed jobs are trimmed (Redis memory stays bounded on 10k+ runs;
 * the run store is the source of truth); failed jobs are kept so they can be retried from the UI.
 */
export interface StageJobPolicy {
  attempts: number;
  backoffMs: number;
  keepCompleted: number;
}

export const DEFAULT_POLICY: Readonly<Record<Stage, StageJobPolicy>> = {
  generate: { attempts: 8, backoffMs: 2_000, keepCompleted: 1_000 },
  sandbox: { attempts: 5, backoffMs: 2_000, keepCompleted: 1_000 },
  judge: { attempts: 8, backoffMs: 2_000, keepCompleted: 1_000 },
  'arbiter-submit': { attempts: 8, backoffMs: 5_000, keepCompleted: 1_000 },
  'arbiter-collect': { attempts: 20, backoffMs: 10_000, keepCompleted: 1_000 },
};

export function jobOptionsFor(stage: Stage, overrides: { attempts?: number } = {}): JobsOptions {
  const policy = DEFAULT_POLICY[stage];
  return {
    attempts: overrides.attempts ?? policy.attempts,
    backoff: { type: GAVEL_BACKOFF, delay: policy.backoffMs },
    removeOnComplete: { count: policy.keepCompleted },
    removeOnFail: false,
  };
}
