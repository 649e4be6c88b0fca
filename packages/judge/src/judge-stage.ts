import { ConfigError, InputError, type RunManifest, type Verdict } from '@gavel/core';
import { addStageJob, type StageProcessor, type StageQueue, sampleImageBytes } from '@gavel/queue';
import type { RubricCache } from '@gavel/rubric';
import { createFactsGrader } from './facts-grader.ts';
import type { Grader } from './grader.ts';

/**
 * The run's pinned judge decides: a facts-only run is graded by facts even on an LLM worker. A
 * facts-only worker on an LLM-pinned run is misconfigured (a `ConfigError`: it stops, the job goes back).
 */
function graderForRun(manifest: RunManifest, grader: Grader, factsGrader: Grader): Grader {
  const pinned = manifest.stages.judge;
  if (pinned.mode === 'facts') return factsGrader;
  if (grader.name === factsGrader.name) {
    throw new ConfigError(
      `run ${manifest.run_id} pinned the ${pinned.mode} judge ${pinned.model ?? ''}, but this judge worker is facts-only: start it with GAVEL_JUDGE=${pinned.mode}, GAVEL_JUDGE_URL and GAVEL_JUDGE_MODEL (the run's judge jobs wait in the queue)`,
    );
  }
  return grader;
}

export interface JudgeStageDeps {
  /** The worker's configured grader (an LLM judge, or facts-only). */
  grader: Grader;
  /** Grades runs pinned to the facts-only judge. @default createFactsGrader() */
  factsGrader?: Grader;
  rubrics: RubricCache;
  arbiterSubmit: StageQueue;
}

/**
 * The judge stage: grades a sample once (the judgement is recorded before anything else), then
 * either records it as the final verdict or hands the sample to the arbiter. With no arbiter
 * configured for the run, a routed verdict becomes final, marked `unarbitrated`.
 */
export function createJudgeStage(deps: JudgeStageDeps): StageProcessor {
  const factsGrader = deps.factsGrader ?? createFactsGrader();
  return async (payload, { store, signal, trace }) => {
    const { runId, sampleId } = payload;
    const [manifest, loaded] = await Promise.all([
      store.getManifest(runId),
      store.loadForStage(runId, sampleId, { sampleValidated: true }),
    ]);
    if (loaded.verdict) return;
    const { sample, facts } = loaded;
    if (!facts) throw new InputError(`run ${runId}: sample ${sampleId} reached the judge without facts`);
    let judgement: Verdict | undefined = loaded.judgement;
    if (!judgement) {
      const ref = manifest.rubrics[sample.kind];
      if (!ref) throw new InputError(`run ${runId}: no rubric pinned for ${sample.kind} samples`);
      const rubric = await deps.rubrics.get(ref);
      const images = await sampleImageBytes(store.images, sample);
      const graded = await graderForRun(manifest, deps.grader, factsGrader).grade(
        { sample, facts, rubric, manifest, trace, ...(images.size > 0 ? { images } : {}) },
        signal,
      );
      if (graded.route === 'final') {
        // One atomic step: the judgement and the final verdict it is.
        await store.putFinalVerdict(runId, sampleId, graded, graded);
        return;
      }
      const first = await store.putJudgement(runId, sampleId, graded);
      judgement = first ? graded : ((await store.getJudgement(runId, sampleId)) ?? graded);
    }
    if (judgement.route === 'arbiter') {
      if (manifest.stages.arbiter.mode === 'none') {
        await store.putFinalVerdict(runId, sampleId, { ...judgement, arbitration: 'unarbitrated' });
      } else {
        await addStageJob(deps.arbiterSubmit, payload, trace);
      }
      return;
    }
    await store.putFinalVerdict(runId, sampleId, judgement);
  };
}
