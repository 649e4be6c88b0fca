import { ConfigError, endpointDiffers, InputError, normaliseEndpoint, sampleSystems } from '@gavel/core';
import { checkFamilyClash } from './family-clash.ts';
import type { GradeInput } from './grader.ts';
import type { LlmJudgeSettings } from './judge-config.ts';

const waits = "(the run's judge jobs wait in the queue)";

/**
 * Refuses a sample this worker must not grade: a judge or critic (this worker's or the run's) of
 * the family of a system under test is a sample's error; a run pinned to another judge or critic
 * (model or endpoint) is the worker's configuration error, so its jobs wait for the right worker.
 */
export function checkRunPins(
  config: Pick<LlmJudgeSettings, 'family' | 'model' | 'url' | 'critic'>,
  input: GradeInput,
): void {
  const { sample, manifest } = input;
  const run = manifest.stages.judge;
  const id = manifest.run_id;
  for (const family of new Set([config.family, run.family])) {
    for (const sut of sampleSystems(sample)) {
      const clash = checkFamilyClash(family, sut);
      if (clash) throw new InputError(`run ${id}: sample ${sample.id}: ${clash}`);
    }
  }
  for (const family of new Set([config.critic?.family, run.critic?.family])) {
    for (const sut of sampleSystems(sample)) {
      const clash = checkFamilyClash(family, sut, 'critic');
      if (clash) throw new InputError(`run ${id}: sample ${sample.id}: ${clash}`);
    }
  }
  if (run.mode === 'facts') return;
  if (run.model !== null && run.model !== config.model) {
    throw new ConfigError(
      `run ${id} is pinned to judge model ${run.model}, this worker runs ${config.model}; start a worker with GAVEL_JUDGE_MODEL=${run.model} ${waits}`,
    );
  }
  if (endpointDiffers(run.endpoint, config.url)) {
    throw new ConfigError(
      `run ${id} is pinned to the judge endpoint ${run.endpoint}, this worker asks ${normaliseEndpoint(config.url)}; start a worker with GAVEL_JUDGE_URL=${run.endpoint} ${waits}`,
    );
  }
  // Runs made before critics existed pin none (undefined): any critic set-up may grade them.
  if (run.critic === undefined) return;
  const critic = config.critic;
  if (run.critic === null) {
    if (critic) {
      throw new ConfigError(
        `run ${id} is critiqued by its judge, this worker asks the critic ${critic.model}; start a worker without GAVEL_CRITIC_URL ${waits}`,
      );
    }
    return;
  }
  if (!critic || critic.model !== run.critic.model || endpointDiffers(run.critic.endpoint, critic.url)) {
    const has = critic ? `the critic ${critic.model} at ${normaliseEndpoint(critic.url)}` : 'no critic';
    throw new ConfigError(
      `run ${id} is pinned to the critic ${run.critic.model} at ${run.critic.endpoint}, this worker has ${has}; start a worker with GAVEL_CRITIC_URL=${run.critic.endpoint} GAVEL_CRITIC_MODEL=${run.critic.model} ${waits}`,
    );
  }
}
