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

export const RouteReason = z.enum([
  'low_agreement',
  'contradicts_facts',
  'near_threshold',
  'safety',
  /** A pair whose two orders disagree. */
  'position_inconsistent',
  /** A pair whose preference is consistent but too slight to call. */
  'low_margin',
  /** The judge's self-critique changed its own verdict (GAVEL_JUDGE_CRITIQUE). */
  'critique_flip',
]);
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

/** A preference between the two outputs of a pair, by side. */
export const PairPreference = z.enum(['a', 'b', 'tie']);
export type PairPreference = z.infer<typeof PairPreference>;

/** A pair's outcome: `inconsistent` when the two orders disagree (never counted as a win or a tie). */
export const PairOutcome = z.enum(['a', 'b', 'tie', 'inconsistent']);
export type PairOutcome = z.infer<typeof PairOutcome>;

/** One of the two judgements of a pair: which side the judge saw first, and what it preferred (mapped to sides). */
export const PairOrderJudgement = z.object({
  first: z.enum(['a', 'b']),
  preference: PairPreference,
  /** How clear the preference is, 0 (barely) to 1 (decisive); 0 for a tie. */
  margin: z.number().min(0).max(1),
  criteria: z.array(z.object({ id: z.string(), preference: PairPreference, finding: z.string().nullable() })),
  rationale: z.string(),
});
export type PairOrderJudgement = z.infer<typeof PairOrderJudgement>;

/** One of the arbiter's two answers on a pair: a judgement of one order, with the request that asked it. */
export const ArbiterPairOrder = PairOrderJudgement.extend({ custom_id: z.string() });
export type ArbiterPairOrder = z.infer<typeof ArbiterPairOrder>;

/**
 * A pair's verdict in full: both orders (A first, then B first), the outcome they agree on (or
 * `inconsistent`), the per-criterion outcomes and the mean margin. On a pair's {@link Verdict},
 * `pass` means "B preferred" and `score` is B's share (1 B, ½ tie, 0 A, averaged over the two orders).
 */
export const PairwiseVerdict = z.object({
  outcome: PairOutcome,
  orders: z.tuple([PairOrderJudgement, PairOrderJudgement]),
  /** Whether the two orders gave the same preference (the position-consistency of this pair). */
  consistent: z.boolean(),
  margin: z.number().min(0).max(1),
  criteria: z.array(z.object({ id: z.string(), outcome: PairOutcome })),
  /** Who settled the outcome: the local judge (both orders agreeing) or the arbiter. */
  decided_by: z.enum(['judge', 'arbiter']),
  /**
   * The arbiter's own two answers (A first, then B first), when it settled the pair in both orders;
   * the outcome is theirs when they agree, else `inconsistent` (never a win).
   */
  arbiter_orders: z.tuple([ArbiterPairOrder, ArbiterPairOrder]).optional(),
  /** Whether the arbiter's two orders gave the same preference (its position consistency on this pair). */
  arbiter_consistent: z.boolean().optional(),
});
export type PairwiseVerdict = z.infer<typeof PairwiseVerdict>;

/** One answer of a critique chain as recorded: verdict, score, rationale and criteria. */
const CritiqueAnswer = z.object({
  pass: z.boolean(),
  score: z.number().min(0).max(1),
  rationale: z.string(),
  criteria: z.array(CriterionScore),
});

/**
 * A self-critique chain (GAVEL_JUDGE_CRITIQUE = 1 or 2): the judge's original answer and each
 * critique pass (confirming or revising the answer before it), `changed` when a pass changed the
 * verdict or score; `flipped` when the last pass's verdict differs from the original's.
 */
export const Critique = z.object({
  original: CritiqueAnswer,
  passes: z
    .array(
      CritiqueAnswer.extend({
        changed: z.boolean(),
        /** Who critiqued: the judge itself, or the configured critic of another family (GAVEL_CRITIC_*). */
        by: z.object({ model: z.string(), family: z.string(), path: z.string() }).optional(),
      }),
    )
    .min(1),
  flipped: z.boolean(),
});
export type Critique = z.infer<typeof Critique>;

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
  /** Present on the verdict of a `pair` sample. */
  pairwise: PairwiseVerdict.optional(),
  /** The judge's self-critique chain, when the run asked for one (the verdict is its last pass). */
  critique: Critique.optional(),
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
