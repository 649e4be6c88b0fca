import type { StoreRedis } from './run-store-scripts.ts';
import { turnBatcher } from './turn-batch.ts';

/** The most samples one batched run-store script reads or writes. */
const BATCH_MAX = 100;
/**
 * The most characters of JSON one batched write carries (about 1 MB): a script is one step for Redis,
 * so a hundred large facts documents in one would hold every other client up while it runs.
 */
const BATCH_MAX_CHARS = 1_000_000;

interface SampleRef {
  runId: string;
  sampleId: string;
}

/** What a stage reads of one sample, as stored: sample, facts, judgement, verdict, completion. */
export type StoredForStage = [
  sample: string | null,
  facts: string | null,
  judgement: string | null,
  verdict: string | null,
  completion: string | null,
];

export interface StoreBatches {
  load(ref: SampleRef): Promise<StoredForStage>;
  /** 1 when this wrote the sample's facts. */
  facts(ref: SampleRef & { json: string }): Promise<number>;
  /** 1 when this wrote the sample's final verdict (`judgement`: '' none, '=' the verdict, or its JSON). */
  verdict(ref: SampleRef & { json: string; arbitrated: '0' | '1'; judgement: string }): Promise<number>;
}

/**
 * A batched script's answer, its failure without the command ioredis attaches to a reply error: its
 * arguments are every sample's JSON of the batch, and each of the batch's jobs logs the error.
 */
async function sent<T>(reply: Promise<T>): Promise<T> {
  try {
    return await reply;
  } catch (error) {
    if (error instanceof Error && 'command' in error) {
      const { command } = error as { command?: { name?: unknown } };
      (error as { command?: unknown }).command = { name: command?.name };
    }
    throw error;
  }
}

/**
 * The run store's per-sample reads and writes of the stages, each turn's calls for one run in one
 * script (see {@link turnBatcher}): a worker's jobs in flight resume together and each reads, then
 * writes, its own sample. One run's keys share a hash tag, so each script touches one cluster slot.
 */
export function storeBatches(redis: StoreRedis, key: (runId: string, part: string) => string): StoreBatches {
  const byRun = (ref: SampleRef): string => ref.runId;
  return {
    load: turnBatcher<SampleRef, StoredForStage>({
      group: byRun,
      max: BATCH_MAX,
      flush: async (runId, refs) => {
        const flat = await sent(
          redis.gavelLoadForStage(
            key(runId, 'samples'),
            key(runId, 'facts'),
            key(runId, 'judgements'),
            key(runId, 'verdicts'),
            key(runId, 'completions'),
            ...refs.map((ref) => ref.sampleId),
          ),
        );
        if (flat.length !== refs.length * 5)
          throw new Error(`run-store read of ${refs.length} sample(s) got ${flat.length} entries`);
        return refs.map((_, i) => flat.slice(i * 5, i * 5 + 5) as StoredForStage);
      },
    }),
    facts: turnBatcher<SampleRef & { json: string }, number>({
      group: byRun,
      max: BATCH_MAX,
      maxWeight: { limit: BATCH_MAX_CHARS, of: (ref) => ref.json.length },
      flush: (runId, refs) =>
        sent(redis.gavelPutFacts(key(runId, 'facts'), ...refs.flatMap((ref) => [ref.sampleId, ref.json]))),
    }),
    verdict: turnBatcher<SampleRef & { json: string; arbitrated: '0' | '1'; judgement: string }, number>({
      group: byRun,
      max: BATCH_MAX,
      maxWeight: { limit: BATCH_MAX_CHARS, of: (ref) => ref.json.length + ref.judgement.length },
      flush: (runId, refs) =>
        sent(
          redis.gavelPutFinalVerdicts(
            key(runId, 'verdicts'),
            key(runId, 'failures'),
            key(runId, 'arbitrated'),
            key(runId, 'judgements'),
            ...refs.flatMap((ref) => [ref.sampleId, ref.json, ref.arbitrated, ref.judgement]),
          ),
        ),
    }),
  };
}
