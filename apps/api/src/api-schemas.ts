import { RunManifest, STAGES } from '@gavel/core';
import { z } from '@hono/zod-openapi';

/** Where one stage of a run stands (as `gavel status --json` prints it). */
export const StageStatus = z
  .object({
    stage: z.enum(STAGES),
    entered: z.number().int(),
    waiting: z.number().int(),
    active: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
  })
  .openapi('StageStatus');

export const RunStatus = z
  .object({
    run_id: z.string(),
    total: z.number().int(),
    ended: z.number().int(),
    verdicts: z.number().int(),
    failed: z.number().int(),
    passed: z.number().int().nullable(),
    stages: z.array(StageStatus),
  })
  .openapi('RunStatus');

export const RunDetail = z.object({ manifest: RunManifest, status: RunStatus }).openapi('RunDetail');

/** One run in the list (as `gavel runs --json` prints it). */
export const RunSummary = z
  .object({
    run_id: z.string(),
    created_at: z.string().nullable(),
    samples: z.number().int(),
    ended: z.number().int(),
    verdicts: z.number().int(),
    failed: z.number().int(),
    rubrics: z.array(z.string()),
  })
  .openapi('RunSummary');

export const RunList = z
  .object({
    runs: z.array(RunSummary),
    next_cursor: z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page'),
  })
  .openapi('RunList');

export const SubmittedRun = z
  .object({
    run_id: z.string(),
    samples: z.number().int(),
    queued: z.number().int().describe('sandbox jobs added (0 when the run already held every sample)'),
    existed: z.boolean(),
  })
  .openapi('SubmittedRun');

export const RetryResult = z
  .object({ run_id: z.string(), retried: z.record(z.string(), z.number().int()), total: z.number().int() })
  .openapi('RetryResult');

export const RunReport = z
  .object({
    run_id: z.string(),
    samples: z.number().int(),
    verdicts: z.number().int(),
    passed: z.number().int(),
    failed_samples: z.number().int(),
    failures_by_stage: z.record(z.string(), z.number().int()),
    verdict_sources: z.record(z.string(), z.number().int()),
    routed: z.number().int(),
    route_reasons: z.record(z.string(), z.number().int()),
    arbitration: z.record(z.string(), z.number().int()),
    flags: z.record(z.string(), z.number().int()),
    arbiter_cost: z.record(z.string(), z.number()),
    /** Pair runs: outcomes, position consistency, win rates with CIs and sign tests, Bradley–Terry (see README). */
    pairwise: z.record(z.string(), z.unknown()).nullable(),
    /** Generate runs: the SUT's completions (finish reasons, truncated, cost) and pass@k over tasks (see README). */
    generation: z
      .object({
        model: z.string().nullable(),
        n: z.number().int(),
        temperature: z.number(),
        completions: z.number().int(),
        truncated: z.number().int(),
        finish_reasons: z.record(z.string(), z.number().int()),
        via: z.record(z.string(), z.number().int()),
        reasked: z.number().int(),
        prompt_tokens: z.number().int(),
        completion_tokens: z.number().int(),
        cost_usd: z.number().nullable(),
        estimate_usd: z.number().nullable(),
        pass_at_k: z.array(z.object({ k: z.number().int(), value: z.number(), tasks: z.number().int() })),
      })
      .nullable(),
    /** Runs judged with self-critique: flip and change rates, and how often the arbiter sided with the revision. */
    critique: z
      .object({
        chains: z.number().int(),
        flipped: z.number().int(),
        flip_rate: z.number().nullable(),
        changed: z.number().int(),
        change_rate: z.number().nullable(),
        arbitrated_flips: z.number().int(),
        arbiter_sided_with_revision: z.number().int(),
        revision_agreement: z.number().nullable(),
      })
      .nullable(),
    /** Runs `gavel best-of-n` ranked: the choice per task, how it was made, the tournament's outcomes (see README). */
    best_of_n: z.record(z.string(), z.unknown()).nullable(),
    /** Runs (other than generate runs) with several executed code samples per task: pass@k by the tests. */
    code_pass_at_k: z
      .object({
        tasks: z.number().int(),
        samples: z.number().int(),
        n_min: z.number().int(),
        n_max: z.number().int(),
        pass_at_k: z.array(z.object({ k: z.number().int(), value: z.number(), tasks: z.number().int() })),
      })
      .nullable(),
  })
  .openapi('RunReport');

export const Health = z.object({ status: z.enum(['ok', 'unavailable']), redis: z.string() }).openapi('Health');

export const RunIdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'run-20261201-090000-a1b2c3' }),
});
