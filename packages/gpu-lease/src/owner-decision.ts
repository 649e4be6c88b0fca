import type { GpuOwner } from './lease.ts';

export interface DemandInput {
  /** Who owns the card now. */
  owner: GpuOwner;
  /** Judge jobs waiting, delayed or active. */
  pending: number;
  /**
   * Generate jobs waiting, delayed or active, when the agent serves the system under test on this
   * card (undefined: it does not, and the SUT never gets the card).
   */
  generatePending?: number;
  now: number;
  /** Since when the queues have been empty (undefined: they were not). */
  idleSince: number | undefined;
  /** How long the queues must stay empty before the card goes back to Ollama. */
  idleMs: number;
}

export interface DemandDecision {
  want: GpuOwner;
  idleSince: undefined | number;
}

/**
 * Who should own the card: generate work pending → the SUT's vLLM (the judge waits while
 * generation is pending, even when it holds the card); else judge work pending → the judge's
 * vLLM; both queues empty for `idleMs` → Ollama; otherwise whoever owns it now.
 */
export function decideOwner(input: DemandInput): DemandDecision {
  if ((input.generatePending ?? 0) > 0) return { want: 'sut', idleSince: undefined };
  if (input.pending > 0) return { want: 'vllm', idleSince: undefined };
  const idleSince = input.idleSince ?? input.now;
  if (input.owner !== 'ollama' && input.now - idleSince >= input.idleMs) return { want: 'ollama', idleSince };
  return { want: input.owner, idleSince };
}
