import { type FlushDecision, flushDecision } from './batch-policy.ts';
import type { BatchStore } from './batch-store.ts';

export interface FlushWindow {
  windowMs: number;
  maxRequests: number;
  pollMs: number;
}

export type FlushCandidates =
  | { send: { sampleId: string; since: number }[]; reason: Extract<FlushDecision, { flush: true }>['reason'] }
  | { waitMs: number };

/**
 * The first step of every batch flush: the run's pending requests that no recovered intent holds, at
 * most `maxRequests`, and whether they go now ({@link flushDecision}). With none pending the flush
 * looks again soon while a recovered batch is held (its members' jobs settle it), else after a window.
 * `drained` is read by the caller before this reads the pending set, so a request that arrives in
 * between waits for the next batch.
 */
export async function flushCandidates(
  batches: BatchStore,
  runId: string,
  held: ReadonlySet<string>,
  window: FlushWindow,
  drained: boolean,
): Promise<FlushCandidates> {
  const pending = (await batches.pending(runId, window.maxRequests + held.size))
    .filter((p) => !held.has(p.sampleId))
    .slice(0, window.maxRequests);
  const first = pending[0];
  if (!first) return { waitMs: held.size > 0 ? Math.min(window.pollMs, 5_000) : window.windowMs };
  const decision = flushDecision({
    pending: pending.length,
    oldestAt: first.since,
    now: Date.now(),
    windowMs: window.windowMs,
    maxRequests: window.maxRequests,
    judgeDrained: drained,
  });
  return decision.flush ? { send: pending, reason: decision.reason } : { waitMs: decision.waitMs };
}
