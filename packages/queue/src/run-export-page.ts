import { Completion, Facts, Sample, SampleFailure, Verdict } from '@gavel/core';
import type { RedisClient } from './redis.ts';

/** Everything recorded for one sample of a run. */
export interface SampleRecord {
  id: string;
  sample: Sample;
  facts?: Facts;
  judgement?: Verdict;
  verdict?: Verdict;
  failure?: SampleFailure;
  traceId?: string;
  /** The SUT's completion, on a generate run (already appended to `sample.output`). */
  completion?: Completion;
}

const PARTS = ['samples', 'facts', 'judgements', 'verdicts', 'failures', 'traces', 'completions'] as const;

/**
 * Reads everything recorded for `ids` (one HMGET per part, one round trip), in their order; an id
 * whose sample is not stored throws `missing(id)`.
 */
export async function readSampleRecords(
  redis: RedisClient,
  runId: string,
  key: (part: string) => string,
  ids: readonly string[],
  missing: (id: string) => Error = (id) => new Error(`run ${runId}: sample ${id} is listed but not stored`),
): Promise<SampleRecord[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const part of PARTS) pipeline.hmget(key(part), ...ids);
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  const column = (i: number): (string | null)[] => (results[i]?.[1] as (string | null)[] | undefined) ?? [];
  const [samples, facts, judgements, verdicts, failures, traces, completions] = PARTS.map((_, i) => column(i));
  const parse = <T>(raw: string | null | undefined, schema: { parse(x: unknown): T }): T | undefined =>
    raw ? schema.parse(JSON.parse(raw)) : undefined;
  return ids.map((id, i) => {
    const stored = parse(samples?.[i], Sample);
    if (!stored) throw missing(id);
    const completion = parse(completions?.[i], Completion);
    return {
      id,
      sample: withCompletion(stored, completion),
      ...(completion ? { completion } : {}),
      facts: parse(facts?.[i], Facts),
      judgement: parse(judgements?.[i], Verdict),
      verdict: parse(verdicts?.[i], Verdict),
      failure: parse(failures?.[i], SampleFailure),
      traceId: traces?.[i] ?? undefined,
    };
  });
}

/**
 * A generated sample as the stages see it: its stored output (the fixed beginning, e.g. HumanEval's
 * prompt) followed by the SUT's completion. Without a completion the sample is returned as stored.
 */
export function withCompletion(sample: Sample, completion: Completion | undefined): Sample {
  if (!completion || sample.kind === 'pair') return sample;
  return { ...sample, output: sample.output + completion.text };
}
