import type { PairOutcome } from '@gavel/core';
import type { ExportRecord } from './run-records.ts';

/** One decided-or-not pair as the pairwise figures read it. */
export interface PairObservation {
  sample_id: string;
  /** The resampling unit: the task id, or the sample id when the pair has none. */
  task: string;
  /** The systems' models (`a` baseline, `b` candidate). */
  a: string;
  b: string;
  outcome: PairOutcome;
  /** Whether the judge's two orders agreed (before any arbiter). */
  consistent: boolean;
  /** Output lengths in characters, when the facts recorded them. */
  length_a: number | null;
  length_b: number | null;
}

/** The pair records of a run that have a pairwise verdict, in record order. */
export function pairObservations(records: readonly ExportRecord[]): PairObservation[] {
  const out: PairObservation[] = [];
  for (const r of records) {
    const pairwise = r.verdict?.pairwise;
    if (r.kind !== 'pair' || !pairwise) continue;
    out.push({
      sample_id: r.sample_id,
      task: r.task_id ?? r.sample_id,
      a: r.systems?.a.model ?? 'a',
      b: r.systems?.b.model ?? r.sut.model,
      outcome: pairwise.outcome,
      consistent: pairwise.consistent,
      length_a: r.facts?.pair?.a.chars ?? null,
      length_b: r.facts?.pair?.b.chars ?? null,
    });
  }
  return out;
}

/** Observations grouped by task, in first-seen order (the bootstrap's clusters). */
export function byTask<T extends { task: string }>(items: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.task);
    if (group) group.push(item);
    else groups.set(item.task, [item]);
  }
  return [...groups.values()];
}
