import {
  ArbiterRunConfig,
  ConfigError,
  JudgeRunConfig,
  parseEnv,
  type RunManifest,
  SandboxRunConfig,
} from '@gavel/core';
import { loadJudgeConfig } from '@gavel/judge/settings';
import { z } from 'zod';
import { describeSandboxImage, type SandboxImageDescription, sandboxImageTag } from './sandbox-image.ts';

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

export async function runStagesFromEnv(env: NodeJS.ProcessEnv, dataDir: string): Promise<RunManifest['stages']> {
  const e = parseEnv(RunStagesEnv, env);
  const judge = loadJudgeConfig(env);
  let image: SandboxImageDescription | undefined;
  if (e.GAVEL_SANDBOX === 'docker') {
    const tag = await sandboxImageTag(env, dataDir);
    if (!tag)
      throw new ConfigError(
        'GAVEL_SANDBOX=docker but no sandbox image: run bash infra/bootstrap-docker or set GAVEL_SANDBOX_IMAGE',
      );
    image = await describeSandboxImage(tag);
  }
  return {
    sandbox: SandboxRunConfig.parse({
      backend: e.GAVEL_SANDBOX,
      cpus: e.GAVEL_SANDBOX_CPUS,
      memory_mib: e.GAVEL_SANDBOX_MEMORY_MIB,
      pids: e.GAVEL_SANDBOX_PIDS,
      tmpfs_mib: e.GAVEL_SANDBOX_TMPFS_MIB,
      wall_s: e.GAVEL_SANDBOX_WALL_S,
      output_bytes: e.GAVEL_SANDBOX_OUTPUT_BYTES,
      image: image?.image ?? null,
      image_digest: image?.image_digest ?? null,
      tool_versions: image?.tool_versions ?? {},
    }),
    judge:
      judge.mode === 'facts'
        ? JudgeRunConfig.parse({ mode: 'facts' })
        : JudgeRunConfig.parse({
            mode: judge.mode,
            endpoint: judge.url,
            model: judge.model,
            family: judge.family,
            temperature: 0,
            seed: judge.seed,
            k: judge.k,
            k_temperature: judge.kTemperature,
            critique: judge.critique ?? 0,
            critic: judge.critic
              ? {
                  mode: judge.critic.mode,
                  endpoint: judge.critic.url,
                  model: judge.critic.model,
                  family: judge.critic.family,
                }
              : null,
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
