import { z } from 'zod';

/** One rubric criterion's score in an answer. `finding` is non-null when the grader found a problem. */
export const CriterionScore = z.object({
  id: z.string(),
  score: z.number().min(0).max(1),
  finding: z.string().nullable(),
});
export type CriterionScore = z.infer<typeof CriterionScore>;

/**
 * The structured answer a judge or arbiter model must return (its JSON schema is sent as
 * `response_format` / `format`). Verdict, per-criterion scores and rationale in one answer.
 */
export const GraderAnswer = z.object({
  pass: z.boolean(),
  score: z.number().min(0).max(1),
  criteria: z.array(CriterionScore),
  rationale: z.string().min(1),
});
export type GraderAnswer = z.infer<typeof GraderAnswer>;

export const RouteReason = z.enum(['low_agreement', 'contradicts_facts', 'near_threshold', 'safety']);
export type RouteReason = z.infer<typeof RouteReason>;

export const Consistency = z.object({
  k: z.number().int().nonnegative(),
  samples: z.number().int().positive(),
  majority: z.boolean(),
  agreement: z.number().min(0).max(1),
  score_mean: z.number(),
  score_variance: z.number().nonnegative(),
  seeds: z.array(z.number().int()),
  temperatures: z.array(z.number()),
});
export type Consistency = z.infer<typeof Consistency>;

export const TokenUsage = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cache_write: z.number().int().nonnegative().default(0),
  cache_read: z.number().int().nonnegative().default(0),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

/**
 * A verdict as stored in the run store. `source` says who decided it; `route` says where the
 * judge sent it; an arbitrated verdict keeps the judge's verdict in `judge_verdict`.
 */
export const Verdict = z.object({
  pass: z.boolean(),
  score: z.number().min(0).max(1),
  rationale: z.string(),
  criteria: z.array(CriterionScore),
  source: z.enum(['facts', 'judge', 'arbiter']),
  facts_only: z.boolean(),
  route: z.enum(['final', 'arbiter']),
  route_reasons: z.array(RouteReason),
  /** `none`: not routed; `done`: decided by the arbiter; `unarbitrated`: routed but no arbiter configured. */
  arbitration: z.enum(['none', 'done', 'unarbitrated']),
  flags: z.array(z.string()),
  grader: z.object({ model: z.string(), family: z.string().optional(), path: z.string().optional() }).nullable(),
  consistency: Consistency.nullable(),
  arbiter: z
    .object({ model: z.string(), batch_id: z.string().nullable(), custom_id: z.string(), path: z.string() })
    .nullable(),
  judge_verdict: z.object({ pass: z.boolean(), score: z.number(), rationale: z.string() }).nullable(),
  usage: TokenUsage.nullable(),
  decided_at: z.string(),
});
export type Verdict = z.infer<typeof Verdict>;

/** Why a sample ended without a verdict (stored beside the failed job). */
export const SampleFailure = z.object({
  stage: z.string(),
  code: z.enum(['input', 'transient_exhausted', 'stalled', 'internal']),
  reason: z.string(),
  at: z.string(),
  /** The job that recorded it: only a later run of that same job (a retry) clears the failure. */
  job_id: z.string().optional(),
});
export type SampleFailure = z.infer<typeof SampleFailure>;
