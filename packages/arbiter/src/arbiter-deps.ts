import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@gavel/core';
import type { StageQueue } from '@gavel/queue';
import type { RubricCache } from '@gavel/rubric';
import type OpenAI from 'openai';
import type { ArbiterConfig } from './arbiter-config.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';

/** What both arbiter stages are built from (constructed in the workers' mains). */
export interface ArbiterDeps {
  config: ArbiterConfig;
  /** Required for `anthropic-batch`. */
  anthropic?: Anthropic;
  /** Required for `openai-compatible`. */
  openai?: OpenAI;
  rubrics: RubricCache;
  submitQueue: StageQueue;
  collectQueue: StageQueue;
  metrics?: ArbiterMetrics;
  /** How long a dead process keeps a flush/collect lock (use the job lock duration). */
  lockTtlMs: number;
  logger?: Logger;
}
