import type { RequestCost } from '@gavel/arbiter';
import type { Facts, RubricRef, RunManifest, Sample, SampleFailure, Verdict } from '@gavel/core';

/** One line of `gavel export`: what happened to one sample (DESIGN.md "Export"). */
export interface ExportRecord {
  run_id: string;
  sample_id: string;
  task_id: string | null;
  kind: Sample['kind'];
  sut: Sample['sut'];
  status: 'verdict' | 'failed' | 'pending';
  facts: Facts | null;
  verdict: Verdict | null;
  judge_verdict: Verdict | null;
  route: 'final' | 'arbiter' | null;
  failure: SampleFailure | null;
  rubric: RubricRef | null;
  /** What arbitrating this sample cost (from the batch result's usage), when it was arbitrated. */
  arbiter_cost: RequestCost | null;
  trace_id: string | null;
}

export function exportRecord(
  manifest: RunManifest,
  ledger: ReadonlyMap<string, RequestCost>,
  entry: {
    id: string;
    sample: Sample;
    facts?: Facts;
    judgement?: Verdict;
    verdict?: Verdict;
    failure?: SampleFailure;
    traceId?: string;
  },
): ExportRecord {
  const status = entry.verdict ? 'verdict' : entry.failure ? 'failed' : 'pending';
  return {
    run_id: manifest.run_id,
    sample_id: entry.id,
    task_id: entry.sample.task_id ?? null,
    kind: entry.sample.kind,
    sut: entry.sample.sut,
    status,
    facts: entry.facts ?? null,
    verdict: entry.verdict ?? null,
    judge_verdict: entry.judgement ?? null,
    route: (entry.verdict ?? entry.judgement)?.route ?? null,
    failure: entry.failure ?? null,
    rubric: manifest.rubrics[entry.sample.kind] ?? null,
    arbiter_cost: entry.verdict?.arbiter ? (ledger.get(entry.verdict.arbiter.custom_id) ?? null) : null,
    trace_id: entry.traceId ?? null,
  };
}
