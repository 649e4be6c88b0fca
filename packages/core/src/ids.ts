import { z } from 'zod';

/**
 * Run and sample ids: safe inside Redis keys, BullMQ job ids (no `:`), URLs and file names.
 * `~` is reserved as the separator of job ids, so it never appears inside an id.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const Id = z
  .string()
  .regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit');

/** Turns any string into an id that matches {@link ID_PATTERN} (used for HumanEval `task_id`s such as `HumanEval/0`). */
export function toIdSafe(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned || 'id').slice(0, 128);
}

/** Deterministic job id of a sample in a stage's queue: never all digits, never contains `:`. */
export function jobIdFor(runId: string, sampleId: string): string {
  return `${runId}~${sampleId}`;
}

export function parseJobId(jobId: string): { runId: string; sampleId: string } | undefined {
  const at = jobId.indexOf('~');
  if (at <= 0) return undefined;
  return { runId: jobId.slice(0, at), sampleId: jobId.slice(at + 1) };
}
