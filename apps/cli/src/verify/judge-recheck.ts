import type { Facts, RunManifest, Sample, Verdict } from '@gavel/core';
import { createLlmGrader, type JudgeConfig, loadJudgeConfig } from '@gavel/judge';
import type { JudgeRecheck } from '@gavel/report';
import type { LoadedRubric } from '@gavel/rubric';

/** One LLM-judged sample to ask again, with its recorded judgement. */
export interface RecheckItem {
  sample: Sample;
  facts: Facts;
  rubric: LoadedRubric;
  recorded: Verdict;
}

/**
 * The judge to ask again is the one the run pinned: its mode, model, family and seed come from the
 * manifest; only where it listens (`GAVEL_JUDGE_URL`, `GAVEL_JUDGE_API_KEY`) and the client's limits
 * come from the environment. A missing URL is a configuration error naming the variable.
 */
export function pinnedJudgeConfig(manifest: RunManifest, env: NodeJS.ProcessEnv): JudgeConfig {
  const pinned = manifest.stages.judge;
  return loadJudgeConfig({
    ...env,
    GAVEL_JUDGE: pinned.mode,
    ...(pinned.model ? { GAVEL_JUDGE_MODEL: pinned.model } : {}),
    ...(pinned.family ? { GAVEL_JUDGE_FAMILY: pinned.family } : {}),
    GAVEL_JUDGE_SEED: String(pinned.seed),
    GAVEL_JUDGE_K: '0',
  });
}

/**
 * Asks the pinned judge again for each item's primary answer — temperature and seed as the manifest
 * recorded them, no extra self-consistency samples — through the same client the judge stage uses.
 */
export async function recheckJudge(
  manifest: RunManifest,
  items: readonly RecheckItem[],
  env: NodeJS.ProcessEnv,
): Promise<JudgeRecheck[]> {
  if (items.length === 0) return [];
  const config = pinnedJudgeConfig(manifest, env);
  if (config.mode === 'facts') return [];
  const primaryOnly: RunManifest = {
    ...manifest,
    stages: { ...manifest.stages, judge: { ...manifest.stages.judge, k: 0 } },
  };
  const grader = await createLlmGrader(config);
  const deadlineMs = (config.invalidRetries + 1) * config.requestTimeoutMs + config.waitMs;
  try {
    return await Promise.all(
      items.map(async (item): Promise<JudgeRecheck> => {
        const again = await grader.grade(
          { sample: item.sample, facts: item.facts, rubric: item.rubric, manifest: primaryOnly },
          AbortSignal.timeout(deadlineMs),
        );
        return {
          sample_id: item.sample.id,
          recorded: { pass: item.recorded.pass, score: item.recorded.score, criteria: item.recorded.criteria },
          rederived: { pass: again.pass, score: again.score, criteria: again.criteria },
        };
      }),
    );
  } finally {
    await grader.close();
  }
}
