import type { RequestCost } from '@gavel/arbiter';
import {
  type Completion,
  contentText,
  type Facts,
  primarySystem,
  type RunManifest,
  type Sample,
  type SampleFailure,
  type Verdict,
} from '@gavel/core';
import type { ExportRecord } from '@gavel/report';

/** One run-store entry as the export record `gavel export` writes. */
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
    completion?: Completion;
  },
): ExportRecord {
  const slot = entry.sample.kind === 'pair' ? undefined : entry.sample.generation;
  const status = entry.verdict ? 'verdict' : entry.failure ? 'failed' : 'pending';
  return {
    run_id: manifest.run_id,
    sample_id: entry.id,
    task_id: entry.sample.task_id ?? null,
    kind: entry.sample.kind,
    sut: primarySystem(entry.sample),
    status,
    facts: entry.facts ?? null,
    verdict: entry.verdict ?? null,
    judge_verdict: entry.judgement ?? null,
    route: (entry.verdict ?? entry.judgement)?.route ?? null,
    failure: entry.failure ?? null,
    rubric: manifest.rubrics[entry.sample.kind] ?? null,
    arbiter_cost: entry.verdict?.arbiter ? (ledger.get(entry.verdict.arbiter.custom_id) ?? null) : null,
    trace_id: entry.traceId ?? null,
    prompt: entry.sample.kind === 'pair' ? contentText(entry.sample.prompt) : entry.sample.prompt,
    ...(entry.sample.kind === 'pair'
      ? { outputs: entry.sample.outputs, systems: entry.sample.systems }
      : { output: entry.sample.output }),
    ...(slot ? { generation: { slot, completion: entry.completion ? withoutRaw(entry.completion) : null } } : {}),
  };
}

function withoutRaw(completion: Completion): Omit<Completion, 'raw'> {
  const { raw: _raw, ...rest } = completion;
  return rest;
}
