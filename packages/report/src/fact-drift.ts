import { FACT_MEASURES } from './fact-measures.ts';
import { type PairedDelta, pairedDelta } from './paired-delta.ts';
import type { GradedPair } from './pairing.ts';

/** One fact's rate (or mean) in both runs, over the pairs where it applies to both samples. */
export interface FactDrift extends PairedDelta {
  id: string;
  label: string;
  kind: 'rate' | 'mean';
}

/**
 * Silent drift: per-fact rates side by side (tests passed fully, ruff and pyright errors, timeouts,
 * OOM kills, fabricated claims, routed to the arbiter, judge agreement, arbiter overturns), each
 * over the pairs where the fact applies on both sides, with the paired delta and its CI.
 */
export function factDrift(pairs: readonly GradedPair[]): FactDrift[] {
  return FACT_MEASURES.map((measure) => {
    const base: number[] = [];
    const candidate: number[] = [];
    const clusters: string[] = [];
    for (const pair of pairs) {
      const b = measure.value(pair.base);
      const c = measure.value(pair.candidate);
      if (b === null || c === null) continue;
      base.push(b);
      candidate.push(c);
      clusters.push(pair.task_id);
    }
    return { id: measure.id, label: measure.label, kind: measure.kind, ...pairedDelta(base, candidate, clusters) };
  });
}
