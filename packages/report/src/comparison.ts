import { RubricRef } from '@gavel/core';
import { z } from 'zod';

const Num = z.number().nullable();
const Interval = z.tuple([z.number(), z.number()]).nullable();

/** One run's figures over the counted pairs. */
export const RunFigures = z.object({
  run_id: z.string().nullable(),
  n: z.number().int().nonnegative(),
  pass_rate: Num,
  /** Clustered by task when tasks have several samples (see `paired.clustered`). */
  pass_rate_se: Num,
  pass_rate_ci95: Interval,
  mean_score: Num,
  mean_score_se: Num,
});
export type RunFigures = z.infer<typeof RunFigures>;

const PairedDeltaFields = {
  n: z.number().int().nonnegative(),
  base_mean: Num,
  candidate_mean: Num,
  delta: Num,
  delta_se: Num,
  delta_ci95: Interval,
};

const FactValue = z.union([z.string(), z.number(), z.boolean()]).nullable();

/** A flipped pair: task, both sample ids, both verdicts and scores, and the facts that changed. */
export const FlipEntry = z.object({
  task_id: z.string(),
  base_sample_id: z.string(),
  candidate_sample_id: z.string(),
  base_pass: z.boolean(),
  candidate_pass: z.boolean(),
  base_score: z.number(),
  candidate_score: z.number(),
  changed_facts: z.array(z.object({ fact: z.string(), base: FactValue, candidate: FactValue })),
});
export type FlipEntry = z.infer<typeof FlipEntry>;

const Unpaired = z.object({ task_id: z.string(), index: z.number().int(), sample_id: z.string() });
const Status = z.enum(['verdict', 'failed', 'pending']);

/**
 * `gavel compare --json`: two runs paired sample by sample. Field names are a contract for scripts.
 * Every figure counts only the pairs with a verdict on both sides; per-run figures are over those
 * same pairs, so `delta_pass_rate = candidate.pass_rate − base.pass_rate`.
 */
export const Comparison = z.object({
  /** False when the rubrics differ (`--allow-rubric-change`): no figure here is like for like. */
  like_for_like: z.boolean(),
  paired: z.object({
    /** Pairs counted (a verdict on both sides). */
    n: z.number().int().nonnegative(),
    /** Distinct tasks among them (the clusters). */
    tasks: z.number().int().nonnegative(),
    /** True when some task has several counted pairs: standard errors are clustered by task. */
    clustered: z.boolean(),
    /** How standard errors and intervals are computed, in words. */
    method: z.string(),
    /** `--seed`: recorded; no figure here resamples, so it changes nothing. */
    seed: z.number().int().nullable(),
    /** The rubric differences accepted with `--allow-rubric-change`. */
    rubric_changes: z.array(z.object({ scope: z.string(), base: RubricRef, candidate: RubricRef })),
  }),
  base: RunFigures,
  candidate: RunFigures,
  delta_pass_rate: Num,
  delta_pass_rate_se: Num,
  /** Wald: delta ± 1.96 · `delta_pass_rate_se` (sd of the per-pair differences / √n, clustered by task). */
  delta_pass_rate_ci95: Interval,
  /**
   * Newcombe's (1998) hybrid score interval of the same difference, over the pairs as a paired 2×2 table:
   * it keeps a width when few or no pairs flip, where the Wald interval has almost none. Null without pairs.
   */
  delta_pass_rate_ci95_score: Interval,
  delta_score: Num,
  delta_score_ci95: Interval,
  /** Pearson correlation of the two runs' per-pair scores. */
  correlation: Num,
  mcnemar: z.object({
    b: z.number().int().nonnegative(),
    c: z.number().int().nonnegative(),
    p_value: z.number(),
    method: z.enum(['exact', 'chi2_cc']),
  }),
  /** Minimum detectable pass-rate effect (0–1) at 80% power, α = 0.05, for this n and discordance. */
  mde_80: Num,
  regressions: z.array(FlipEntry),
  fixes: z.array(FlipEntry),
  only_in_base: z.array(Unpaired),
  only_in_candidate: z.array(Unpaired),
  failed_in_either: z.array(
    z.object({
      task_id: z.string(),
      base_sample_id: z.string(),
      candidate_sample_id: z.string(),
      base_status: Status,
      candidate_status: Status,
    }),
  ),
  criteria: z.array(z.object({ id: z.string(), ...PairedDeltaFields })),
  facts: z.array(z.object({ id: z.string(), label: z.string(), kind: z.enum(['rate', 'mean']), ...PairedDeltaFields })),
  decision: z.object({
    outcome: z.enum(['improved', 'no significant change', 'regressed']),
    max_drop_pts: Num,
    ship_blocked: z.boolean().nullable(),
    /**
     * The interval that decided: `score` (Newcombe) with one sample per task; with several, the wider of
     * `score` and `wald_clustered`. Null when there was no interval (fewer than two tasks).
     */
    interval: z.enum(['score', 'wald_clustered']).nullable(),
    reason: z.string(),
  }),
  manifest_diff: z.array(
    z.object({
      field: z.string(),
      base: z.union([z.string(), z.number()]).nullable(),
      candidate: z.union([z.string(), z.number()]).nullable(),
    }),
  ),
});
export type Comparison = z.infer<typeof Comparison>;
