/** What the submit stage knows when it decides whether to send a batch now. */
export interface FlushInput {
  pending: number;
  /** When the oldest pending request started waiting (ms since epoch). */
  oldestAt: number;
  now: number;
  windowMs: number;
  maxRequests: number;
  /** True once no more samples of the run can reach the arbiter (the judge stage has drained). */
  judgeDrained: boolean;
}

export type FlushDecision = { flush: true; reason: 'size' | 'window' | 'drained' } | { flush: false; waitMs: number };

export function flushDecision(input: FlushInput): FlushDecision {
  if (input.pending === 0) return { flush: false, waitMs: input.windowMs };
  if (input.pending >= input.maxRequests) return { flush: true, reason: 'size' };
  if (input.judgeDrained) return { flush: true, reason: 'drained' };
  const waited = input.now - input.oldestAt;
  if (waited >= input.windowMs) return { flush: true, reason: 'window' };
  return { flush: false, waitMs: input.windowMs - waited };
}

/** Delay before the next poll of a batch: `pollMs × 1.5^polls`, at most 10 × `pollMs`. */
export function pollDelayMs(pollMs: number, polls: number): number {
  return Math.round(Math.min(pollMs * 10, pollMs * 1.5 ** Math.max(0, polls)));
}

/** Bytes of a batch body around its requests (`{"requests":[` … `]}`). */
export const BATCH_BODY_OVERHEAD = 20;

/** Bytes one request adds to a batch body (its JSON and a separator). */
export function requestBytes(request: unknown): number {
  return Buffer.byteLength(JSON.stringify(request)) + 1;
}

/** The two halves a batch the API refused as too large (413) is sent in instead. */
export function halves<T>(items: readonly T[]): [T[], T[]] {
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
}
