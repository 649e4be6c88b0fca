import type { GpuOwner } from './lease.ts';

export interface DemandInput {
  /** Who owns the card now. */
  owner: GpuOwner;
  /** Judge jobs waiting, delayed or active. */
  pending: number;
  now: number;
  /** Since when the judge queue has been empty (undefined: it was not). */
  idleSince: number | undefined;
  /** How long the queue must stay empty before the card goes back to Ollama. */
  idleMs: number;
}

export interface DemandDecision {
  want: GpuOwner;
  idleSince: number | undefined;
}

/**
 * Who should own the card: judge work pending → vLLM; the judge queue empty for `idleMs` → Ollama;
 * otherwise whoever owns it now.
 */
export function decideOwner(input: DemandInput): DemandDecision {
  if (input.pending > 0) return { want: 'vllm', idleSince: undefined };
  const idleSince = input.idleSince ?? input.now;
  if (input.owner === 'vllm' && input.now - idleSince >= input.idleMs) return { want: 'ollama', idleSince };
  return { want: input.owner, idleSince };
}
