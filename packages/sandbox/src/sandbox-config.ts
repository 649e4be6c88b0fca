import { cpus } from 'node:os';
import { parseEnv } from '@gavel/core';
import { z } from 'zod';

/** The sandbox worker's configuration (environment variables, parsed in main). */
export const SandboxEnv = z.object({
  GAVEL_SANDBOX: z.enum(['docker', 'none']).default('none'),
  GAVEL_SANDBOX_IMAGE: z.string().min(1).optional(),
  GAVEL_SANDBOX_CPUS: z.coerce.number().positive().default(1),
  GAVEL_SANDBOX_MEMORY_MIB: z.coerce.number().int().min(64).default(512),
  GAVEL_SANDBOX_PIDS: z.coerce.number().int().min(8).default(128),
  GAVEL_SANDBOX_TMPFS_MIB: z.coerce.number().int().min(8).default(64),
  GAVEL_SANDBOX_WALL_S: z.coerce.number().positive().default(30),
  GAVEL_SANDBOX_OUTPUT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** e.g. `unix:///var/run/docker.sock` or `tcp://10.0.0.5:2375`; default: the local socket. */
  GAVEL_DOCKER_HOST: z.string().min(1).optional(),
  /** Execution containers at once on this host (default: the number of cores). */
  GAVEL_SANDBOX_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /** Deadline of each Docker engine call (create, attach, start, inspect, kill, remove, list). */
  GAVEL_DOCKER_TIMEOUT_S: z.coerce.number().positive().default(30),
  /** Memory of the long-lived analysis container (ruff + pyright). */
  GAVEL_SANDBOX_ANALYSIS_MEMORY_MIB: z.coerce.number().int().min(256).default(2048),
});

export const SandboxConfig = z.object({
  mode: z.enum(['docker', 'none']),
  image: z.string().nullable(),
  dockerHost: z.string().nullable(),
  concurrency: z.number().int().positive(),
  analysisMemoryMib: z.number().int().positive(),
  /** Deadline of each Docker engine call, in ms. */
  dockerTimeoutMs: z.number().positive(),
  /** The most a run may ask for: a run's limits are capped at these. */
  limits: z.object({
    cpus: z.number().positive(),
    memory_mib: z.number().int().positive(),
    pids: z.number().int().positive(),
    tmpfs_mib: z.number().int().positive(),
    wall_s: z.number().positive(),
    output_bytes: z.number().int().positive(),
  }),
});
export type SandboxConfig = z.infer<typeof SandboxConfig>;

export function loadSandboxConfig(env: NodeJS.ProcessEnv): SandboxConfig {
  const e = parseEnv(SandboxEnv, env);
  return {
    mode: e.GAVEL_SANDBOX,
    image: e.GAVEL_SANDBOX_IMAGE ?? null,
    dockerHost: e.GAVEL_DOCKER_HOST ?? null,
    concurrency: e.GAVEL_SANDBOX_CONCURRENCY ?? Math.max(1, cpus().length),
    analysisMemoryMib: e.GAVEL_SANDBOX_ANALYSIS_MEMORY_MIB,
    dockerTimeoutMs: e.GAVEL_DOCKER_TIMEOUT_S * 1000,
    limits: {
      cpus: e.GAVEL_SANDBOX_CPUS,
      memory_mib: e.GAVEL_SANDBOX_MEMORY_MIB,
      pids: e.GAVEL_SANDBOX_PIDS,
      tmpfs_mib: e.GAVEL_SANDBOX_TMPFS_MIB,
      wall_s: e.GAVEL_SANDBOX_WALL_S,
      output_bytes: e.GAVEL_SANDBOX_OUTPUT_BYTES,
    },
  };
}
