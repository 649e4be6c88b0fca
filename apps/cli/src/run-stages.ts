import { ArbiterRunConfig, JudgeRunConfig, parseEnv, type RunManifest, SandboxRunConfig } from '@gavel/core';
import { loadJudgeConfig } from '@gavel/judge';
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
  GAVEL_ARBITER: z.enum(['anthropic-batch', 'openai-compatible', 'none']).default('none'),
  GAVEL_ARBITER_MODEL: z.string().min(1).optional(),
  GAVEL_ARBITER_FAMILY: z.string().min(1).optional(),
});

export function runStagesFromEnv(env: NodeJS.ProcessEnv): RunManifest['stages'] {
  const e = parseEnv(RunStagesEnv, env);
  const judge = loadJudgeConfig(env);
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
    judge:
      judge.mode === 'facts'
        ? JudgeRunConfig.parse({ mode: 'facts' })
        : JudgeRunConfig.parse({
            mode: judge.mode,
            model: judge.model,
            family: judge.family,
            temperature: 0,
            seed: judge.seed,
            k: judge.k,
            k_temperature: judge.kTemperature,
            context_tokens: judge.contextTokens,
            routing: judge.routing,
          }),
    arbiter: ArbiterRunConfig.parse({
      mode: e.GAVEL_ARBITER,
      model: e.GAVEL_ARBITER === 'none' ? null : (e.GAVEL_ARBITER_MODEL ?? null),
      family: e.GAVEL_ARBITER === 'none' ? null : (e.GAVEL_ARBITER_FAMILY ?? null),
    }),
  };
}
