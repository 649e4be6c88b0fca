import { z } from 'zod';
import { Id } from './ids.ts';
import { SampleKind } from './sample.ts';

export const RubricRef = z.object({
  id: z.string(),
  version: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * `frozen`: loaded from the library, its lock entry backed by a passed gate report; `draft`: a file
   * given with `--rubric-file` (or a rubric under `gavel rubric check`). Absent in manifests written
   * before rubric states existed (those were frozen by the lock file).
   */
  state: z.enum(['draft', 'frozen']).optional(),
  /** The sha256 of the gate report `gavel rubric freeze` recorded; null for a draft. */
  gate_report_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable()
    .optional(),
});
export type RubricRef = z.infer<typeof RubricRef>;

/** Routing thresholds of a run: recorded in the manifest so a verdict can be re-derived. */
export const RoutingConfig = z.object({
  /** Below this self-consistency agreement a verdict is contested. */
  min_agreement: z.number().min(0).max(1).default(0.8),
  /** A score within this margin of the rubric's pass threshold is contested. */
  threshold_margin: z.number().min(0).max(1).default(0.05),
  /**
   * A consistent pair preference whose mean margin is below this is contested (`low_margin`).
   * Absent in manifests written before pairs existed: the judge then uses 0.2.
   */
  pair_min_margin: z.number().min(0).max(1).optional(),
});
export type RoutingConfig = z.infer<typeof RoutingConfig>;

export const SandboxRunConfig = z.object({
  backend: z.string().default('none'),
  cpus: z.number().positive().default(1),
  memory_mib: z.number().int().positive().default(512),
  pids: z.number().int().positive().default(128),
  tmpfs_mib: z.number().int().positive().default(64),
  wall_s: z.number().positive().default(30),
  output_bytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  image: z.string().nullable().default(null),
  image_digest: z.string().nullable().default(null),
  tool_versions: z.record(z.string(), z.string()).default({}),
});
export type SandboxRunConfig = z.infer<typeof SandboxRunConfig>;

/** The critic of a self-critique chain when it is not the judge itself: another model, of another family than the SUT. */
export const CriticRunConfig = z.object({
  mode: z.enum(['vllm', 'ollama']),
  /** Server root (no credentials). */
  endpoint: z.string(),
  model: z.string(),
  family: z.string(),
});
export type CriticRunConfig = z.infer<typeof CriticRunConfig>;

export const JudgeRunConfig = z.object({
  mode: z.enum(['facts', 'vllm', 'ollama']).default('facts'),
  /** The judge server's root as the producer was configured (GAVEL_JUDGE_URL); absent in older runs. */
  endpoint: z.string().nullable().optional(),
  model: z.string().nullable().default(null),
  family: z.string().nullable().default(null),
  temperature: z.number().default(0),
  seed: z.number().int().default(0),
  k: z.number().int().nonnegative().default(0),
  k_temperature: z.number().default(0.7),
  /** Self-critique passes after the verdict (0–2); absent in runs made before critique existed (0). */
  critique: z.number().int().min(0).max(2).optional(),
  /** The critic of the critique passes when it is not the judge (GAVEL_CRITIC_*); absent: the judge critiques itself. */
  critic: CriticRunConfig.nullable().optional(),
  context_tokens: z.number().int().positive().default(16384),
  routing: RoutingConfig.default(RoutingConfig.parse({})),
});
export type JudgeRunConfig = z.infer<typeof JudgeRunConfig>;

export const ArbiterRunConfig = z.object({
  mode: z.enum(['anthropic-batch', 'openai-compatible', 'none']).default('none'),
  model: z.string().nullable().default(null),
  family: z.string().nullable().default(null),
});
export type ArbiterRunConfig = z.infer<typeof ArbiterRunConfig>;

/**
 * The generate stage of a run (`gavel enqueue --generate N`): which system under test wrote the
 * outputs, where, and how — pinned so the completions can be asked for again the same way.
 */
export const GenerateRunConfig = z.object({
  mode: z.enum(['none', 'openai-compatible', 'openai-batch']).default('none'),
  /** The SUT's OpenAI-compatible endpoint (server root, no credentials). */
  endpoint: z.string().nullable().default(null),
  model: z.string().nullable().default(null),
  family: z.string().nullable().default(null),
  /** Declared weight precision of the SUT (`bf16`, `fp4`, …). */
  precision: z.string().nullable().default(null),
  /** A compressed SUT is allowed only as a declared open-weight baseline. */
  baseline: z.boolean().default(false),
  /** Completions per prompt. */
  n: z.number().int().positive().default(1),
  temperature: z.number().min(0).max(2).default(0),
  /** Completion i of a prompt is asked with seed + i. */
  seed: z.number().int().default(0),
  max_tokens: z.number().int().positive().default(1024),
  /** The budget guard's estimate before anything was sent, and the limit it was checked against. */
  estimate: z
    .object({
      prompt_tokens: z.number().int().nonnegative(),
      counted: z.enum(['tokenizer', 'approximation']),
      max_output_tokens: z.number().int().nonnegative(),
      cost_usd: z.number().nonnegative().nullable(),
      max_cost_usd: z.number().nonnegative().nullable(),
    })
    .nullable()
    .default(null),
});
export type GenerateRunConfig = z.infer<typeof GenerateRunConfig>;

/** Everything needed to re-derive a verdict later: written once by the producer. */
export const RunManifest = z.object({
  run_id: Id,
  created_at: z.string(),
  gavel_version: z.string(),
  dataset: z.object({
    format: z.enum(['jsonl', 'humaneval']),
    files: z.array(z.object({ path: z.string(), sha256: z.string() })),
    sha256: z.string(),
    /** The sha256 of every image the dataset shows, sorted (covered by `sha256`); absent without images. */
    images: z.array(z.string().regex(/^[0-9a-f]{64}$/)).optional(),
    samples: z.number().int().nonnegative(),
    skipped_invalid: z.number().int().nonnegative(),
  }),
  rubrics: z.partialRecord(SampleKind, RubricRef),
  /** What the run is for beyond grading: `calibration` for the runs `gavel rubric check` starts. */
  tags: z.array(z.string().min(1)).optional(),
  stages: z.object({
    /** Present only on runs whose outputs the generate stage writes (`gavel enqueue --generate`). */
    generate: GenerateRunConfig.optional(),
    sandbox: SandboxRunConfig,
    judge: JudgeRunConfig,
    arbiter: ArbiterRunConfig,
  }),
});
export type RunManifest = z.infer<typeof RunManifest>;
