import { ConfigError, InputError, sampleSystems } from '@gavel/core';
import { checkFamilyClash } from './family-clash.ts';
import type { GradeInput } from './grader.ts';
import type { LlmJudgeSettings } from './judge-config.ts';

/**
 * Refuses a sample this worker must not grade: a judge (this worker's or the run's) of the
 * family of a system under test is a sample's error; a run pinned to another judge model is
 * the worker's configuration error (its jobs wait for the right worker).
 */
export function checkRunPins(config: Pick<LlmJudgeSettings, 'family' | 'model'>, input: GradeInput): void {
  const { sample, manifest } = input;
  const run = manifest.stages.judge;
  for (const family of new Set([config.family, run.family])) {
    for (const sut of sampleSystems(sample)) {
      const clash = checkFamilyClash(family, sut);
      if (clash) throw new InputError(`run ${manifest.run_id}: sample ${sample.id}: ${clash}`);
    }
  }
  if (run.mode !== 'facts' && run.model !== null && run.model !== config.model) {
    throw new ConfigError(
      `run ${manifest.run_id} is pinned to judge model ${run.model}, this worker runs ${config.model}; start a worker with GAVEL_JUDGE_MODEL=${run.model} (the run's judge jobs wait in the queue)`,
    );
  }
}
