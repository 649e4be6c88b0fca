import {
  Completion,
  Content,
  Facts,
  GenerationSlot,
  RubricRef,
  type RunManifest,
  SampleFailure,
  SampleKind,
  Sut,
  Verdict,
} from '@gavel/core';
import { z } from 'zod';
import { SampleBestOfN } from './best-of-n-record.ts';

/**
 * One line of `gavel export`: what happened to one sample (DESIGN.md "Export"). The report package
 * reads these — from the run store through the CLI, or from export files months later — and never
 * touches Redis itself.
 */
export const ExportRecord = z.object({
  run_id: z.string(),
  sample_id: z.string(),
  task_id: z.string().nullable(),
  kind: SampleKind,
  sut: Sut,
  status: z.enum(['verdict', 'failed', 'pending']),
  facts: Facts.nullable(),
  verdict: Verdict.nullable(),
  judge_verdict: Verdict.nullable(),
  route: z.enum(['final', 'arbiter']).nullable(),
  failure: SampleFailure.nullable(),
  rubric: RubricRef.nullable(),
  /** What arbitrating this sample cost (the arbiter's cost-ledger entry), when it was arbitrated. */
  arbiter_cost: z.record(z.string(), z.unknown()).nullable(),
  trace_id: z.string().nullable(),
  /** Prompt and output, for the review matrix's detail view; absent in older exports. */
  prompt: z.string().optional(),
  output: z.string().optional(),
  /** A pair's two outputs and systems (`sut` is then the candidate, `b`). */
  outputs: z.object({ a: Content, b: Content }).optional(),
  systems: z.object({ a: Sut, b: Sut }).optional(),
  /**
   * On a generate run: which completion this is (index, seed) and how the SUT wrote it — finish
   * reason, `truncated` when cut by the token limit, usage, cost. Absent on other runs.
   */
  generation: z
    .object({
      slot: GenerationSlot,
      completion: Completion.omit({ raw: true }).nullable(),
    })
    .optional(),
  /** On a run `gavel best-of-n` ranked: this candidate's rank, points, matches and whether it was chosen. */
  best_of_n: SampleBestOfN.optional(),
});
export type ExportRecord = z.infer<typeof ExportRecord>;

/** A whole run as the report functions take it: its manifest (when known) and every record. */
export interface RunRecords {
  /** Null for an export file without its manifest beside it: only what the records say is known. */
  manifest: RunManifest | null;
  records: readonly ExportRecord[];
}
