import type { SandboxRunConfig } from '@gavel/core';

/** The resource limits one sample runs under. */
export interface RunLimits {
  cpus: number;
  memory_mib: number;
  pids: number;
  tmpfs_mib: number;
  wall_s: number;
  output_bytes: number;
}

/** A limit the run asked for above what this worker allows. */
export interface CappedLimit {
  field: keyof RunLimits;
  asked: number;
  applied: number;
}

const FIELDS = ['cpus', 'memory_mib', 'pids', 'tmpfs_mib', 'wall_s', 'output_bytes'] as const;

/**
 * The limits a sample runs under: the run's pinned limits (its manifest), each capped at this worker's
 * own maximum (`GAVEL_SANDBOX_*` on the worker), so a manifest cannot ask a host for more than its
 * operator allows. Every capped field is returned, and recorded in the sample's facts.
 */
export function applyWorkerCaps(asked: SandboxRunConfig, max: RunLimits): { limits: RunLimits; capped: CappedLimit[] } {
  const limits = { ...max };
  const capped: CappedLimit[] = [];
  for (const field of FIELDS) {
    limits[field] = Math.min(asked[field], max[field]);
    if (asked[field] > max[field]) capped.push({ field, asked: asked[field], applied: max[field] });
  }
  return { limits, capped };
}
