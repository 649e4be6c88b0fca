import type { ArbiterRunConfig } from '@gavel/core';
import type { ArbiterConfig } from './arbiter-config.ts';

/**
 * Why this worker may not arbitrate a run, if it may not: the run's manifest pinned the arbiter
 * (mode and model) when it was enqueued, and a verdict must be re-derivable from the manifest.
 */
export function pinnedArbiterMismatch(pinned: ArbiterRunConfig, config: ArbiterConfig): string | undefined {
  if (pinned.mode !== config.mode) {
    return `the run pinned GAVEL_ARBITER=${pinned.mode}, this worker runs GAVEL_ARBITER=${config.mode}; start the arbiter workers with the run's setting`;
  }
  if (config.mode !== 'none' && pinned.model !== null && pinned.model !== config.model) {
    return `the run pinned arbiter model ${pinned.model}, this worker runs ${config.model}; start the arbiter workers with GAVEL_ARBITER_MODEL=${pinned.model}`;
  }
  return undefined;
}
