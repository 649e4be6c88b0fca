import { envBoolean, parseEnv } from '@gavel/core';
import { z } from 'zod';

/** What the judge worker reads to gate itself on a GPU lease. */
export const JudgeGateEnv = z.object({
  /**
   * Run judge jobs only while vLLM holds this host's GPU lease (a gpu-agent runs beside it).
   * Off for a judge pointed at an always-on server. @default false
   */
  GAVEL_JUDGE_GPU_GATE: envBoolean.default(false),
  /** The GPU whose lease gates the judge (as the agent's GAVEL_GPU_ID). @default 0 */
  GAVEL_GPU_ID: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'an nvidia-smi index or GPU UUID')
    .default('0'),
  /** How often the gate re-reads the lease besides pub/sub (sees expiries). @default 1000 */
  GAVEL_GPU_POLL_MS: z.coerce.number().int().min(10).default(1000),
});
export type JudgeGateEnv = z.infer<typeof JudgeGateEnv>;

export function loadJudgeGateConfig(env: NodeJS.ProcessEnv): JudgeGateEnv {
  return parseEnv(JudgeGateEnv, env);
}
