import { createHash } from 'node:crypto';

/** The API's rule for a batch request's `custom_id`. */
export const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * A request's `custom_id`: deterministic in run, sample and attempt (a re-submission is a new
 * request), 43 characters of base64url, so any run/sample id fits the API's pattern.
 */
export function customIdFor(runId: string, sampleId: string, attempt: number): string {
  return createHash('sha256')
    .update(JSON.stringify([runId, sampleId, attempt]))
    .digest('base64url')
    .slice(0, 43);
}

/**
 * The `custom_id` of one order of a pair's arbiter request: the A-first order keeps the sample's
 * own id ({@link customIdFor}, the one its state holds); the B-first order gets its own, as
 * deterministic in run, sample and attempt.
 */
export function orderCustomIdFor(runId: string, sampleId: string, attempt: number, first: 'a' | 'b'): string {
  if (first === 'a') return customIdFor(runId, sampleId, attempt);
  return createHash('sha256')
    .update(JSON.stringify([runId, sampleId, attempt, 'b-first']))
    .digest('base64url')
    .slice(0, 43);
}

/** A deterministic key for a set of requests (the submit intent): the same set gives the same key. */
export function intentKeyFor(runId: string, customIds: readonly string[]): string {
  const hash = createHash('sha256').update(runId);
  for (const id of [...customIds].sort()) hash.update(`\n${id}`);
  return hash.digest('base64url').slice(0, 32);
}
