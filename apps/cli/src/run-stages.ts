import { ArbiterRunConfig, JudgeRunConfig, parseEnv, type RunManifest, SandboxRunConfig } from '@gavel/core';
import { z } from 'zod';

/** The stage settings a run is pinned to, from the producer's environment (recorded in the manifest). */
const RunStagesEnv = z.object({
  GAVEL_SANDBOX: z.enum(['docker', 'none']).default('none'),
  GAVEL_SANDBOX_CPUS: z.coerce.number().positive().optional(),
  GAVEL_SANDBOX_MEMORY_MIB: z.coerce.number().int().positive().optional(),
  GAVEL_SANDBOX_PIDS: z.coerce.number().int().positive().optional(),
  GAVEL_SANDBOX_TMPFS_MIB: z.coerce.number().int().positive().optional(),
  GAVEL_SANDBOX_WALL_S: z.coerce.number().positive().optional(),
  GAVEL_SANDBOX_OUTPUT_BYTES: z.coerce.number().int().positive().optional(),
  GAVEL_JUDGE_URL: z.string().url().optional(),
  GAVEL_JUDGE: z.enum(['facts', 'vllm', 'ollama']).optional(),
  GAVEL_JUDGE_MODEL: z.string().min(1).optional(),
  GAVEL_JUDGE_FAMILY: z.string().min(1).optional(),
  GAVEL_JUDGE_SEED: z.coerce.number().int().optional(),
  GAVEL_JUDGE_K: z.coerce.number().int().nonnegative().optional(),
  GAVEL_JUDGE_K_TEMPERATURE: z.coerce.number().min(0).max(2).optional(),
  GAVEL_JUDGE_CONTEXT: z.coerce.number().int().positive().optional(),
  GAVEL_ROUTE_MIN_AGREEMENT: z.coerce.number().min(0).max(1).optional(),
  GAVEL_ROUTE_MARGIN: z.coerce.number().min(0).max(1).optional(),
  GAVEL_ARBITER: z.enum(['anthropic-batch', 'openai-compatible', 'none']).default('none'),
  GAVEL_ARBITER_MODEL: z.string().min(1).optional(),
  GAVEL_ARBITER_FAMILY: z.string().min(1).optional(),
});

export function runStagesFromEnv(env: NodeJS.ProcessEnv): RunManifest['stages'] {
  const e = parseEnv(RunStagesEnv, env);
  const mode = e.GAVEL_JUDGE ?? (e.GAVEL_JUDGE_URL ? 'vllm' : 'facts');
  return {
    sandbox: SandboxRunConfig.parse({
      backend: e.GAVEL_SANDBOX,
      cpus: e.GAVEL_SANDBOX_CPUS,
      memory_mib: e.GAVEL_SANDBOX_MEMORY_MIB,
      pids: e.GAVEL_SANDBOX_PIDS,
      tmpfs_mib: e.GAVEL_SANDBOX_TMPFS_MIB,
      wall_s: e.GAVEL_SANDBOX_WALL_S,
      output_bytes: e.GAVEL_SANDBOX_OUTPUT_BYTES,
    }),
    judge: JudgeRunConfig.parse({
      mode,
      model: mode === 'facts' ? null : (e.GAVEL_JUDGE_MODEL ?? null),
      family: mode === 'facts' ? null : (e.GAVEL_JUDGE_FAMILY ?? null),
      seed: e.GAVEL_JUDGE_SEED,
      k: mode === 'facts' ? 0 : e.GAVEL_JUDGE_K,
      k_temperature: e.GAVEL_JUDGE_K_TEMPERATURE,
      context_tokens: e.GAVEL_JUDGE_CONTEXT,
      routing: { min_agreement: e.GAVEL_ROUTE_MIN_AGREEMENT, threshold_margin: e.GAVEL_ROUTE_MARGIN },
    }),
    arbiter: ArbiterRunConfig.parse({
      mode: e.GAVEL_ARBITER,
      model: e.GAVEL_ARBITER === 'none' ? null : (e.GAVEL_ARBITER_MODEL ?? null),
      family: e.GAVEL_ARBITER === 'none' ? null : (e.GAVEL_ARBITER_FAMILY ?? null),
    }),
  };
}
