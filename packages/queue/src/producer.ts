import { InputError, type RubricRef, type RunManifest, type Sample, type SampleJob } from '@gavel/core';
import { type SampleTrace, SPAN_ATTR, startSampleTrace } from '@gavel/telemetry';
import type { Queue } from 'bullmq';
import type { RunStore } from './run-store.ts';
import { addStageJobs } from './stage-queue.ts';

export interface EnqueueRunInput {
  store: RunStore;
  /** The sandbox stage's queue (the first stage). */
  sandbox: Queue<SampleJob>;
  /** The generate stage's queue: the first stage of a run whose manifest pins a generate stage. */
  generate?: Queue<SampleJob>;
  manifest: RunManifest;
  samples: readonly Sample[];
  /**
   * The bytes of the images the samples show, by sha256: stored once each and referenced by this
   * run (`store.images.retainForRun`) before any sample is.
   */
  images?: ReadonlyMap<string, Buffer>;
  /** Rubrics to publish for workers: their exact bytes, stored under their content hash. */
  rubrics: readonly { ref: RubricRef; text: string }[];
  /** Samples stored and jobs added per round trip. @default 1000 */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EnqueueRunResult {
  runId: string;
  /** True when the run already existed (same dataset): only missing work was added. */
  existed: boolean;
  /** Sandbox jobs added (0 when everything was already enqueued). */
  added: number;
}

/**
 * The producer: writes the manifest once, stores each sample once and adds one job per sample to
 * the first stage (generate when the SUT writes the outputs, else sandbox) in chunks (`addBulk`). Running it again for the same run adds nothing twice; a run id
 * that already holds a different dataset is refused.
 *
 * With tracing on, each added sample starts its own trace: a `gavel.enqueue` root span whose
 * context rides in that sample's sandbox job (bullmq-otel metadata), and whose trace id is recorded
 * in the run store for `gavel export`. With tracing off no span context exists and nothing is added.
 */
export async function enqueueRun(input: EnqueueRunInput): Promise<EnqueueRunResult> {
  const { store, manifest, samples } = input;
  const runId = manifest.run_id;
  const existing = await store.findManifest(runId);
  if (existing && existing.dataset.sha256 !== manifest.dataset.sha256) {
    throw new InputError(
      `run ${runId} already exists with another dataset (sha256 ${existing.dataset.sha256.slice(0, 12)}…, this one ${manifest.dataset.sha256.slice(0, 12)}…); choose another --run`,
    );
  }
  // Also lists a run whose manifest an older producer wrote without listing it.
  await store.createRun(existing ?? manifest);
  for (const rubric of input.rubrics) await store.putRubricText(rubric.ref, rubric.text);
  // Images before samples: no sample is enqueued before what it shows is stored and referenced.
  if (input.images) await store.images.retainForRun(runId, input.images);
  const chunkSize = input.chunkSize ?? 1000;
  const first = manifest.stages.generate ? input.generate : input.sandbox;
  if (!first) throw new Error(`run ${runId} generates its outputs: enqueueRun needs the generate queue`);
  let added = 0;
  // Chunk k's jobs are added while chunk k+1's samples are stored: each chunk's samples are stored
  // before its jobs, and jobs are added in dataset order; at most one chunk's add is in flight.
  let adding: Promise<void> = Promise.resolve();
  try {
    for (let start = 0; start < samples.length; start += chunkSize) {
      const chunk = samples.slice(start, start + chunkSize);
      const pending = await store.putSamples(runId, chunk);
      await adding;
      const done = Math.min(start + chunkSize, samples.length);
      adding = addChunk(input, first, chunk, pending).then(() => {
        added += pending.length;
        input.onProgress?.(done, samples.length);
      });
      // Awaited before the next chunk's jobs (a failed add stops the enqueue there; the samples stored
      // after it get their jobs when the run is enqueued again), never left an unhandled rejection.
      adding.catch(() => {});
    }
    await adding;
  } catch (error) {
    // A failed store: the add in flight ends before the enqueue does (its own failure is this one's).
    await adding.catch(() => {});
    throw error;
  }
  return { runId, existed: existing !== undefined, added };
}

/** Adds the first-stage jobs of one stored chunk (`pending`: its samples that need one), each with its trace. */
async function addChunk(
  input: EnqueueRunInput,
  first: Queue<SampleJob>,
  chunk: readonly Sample[],
  pending: readonly string[],
): Promise<void> {
  const { store, manifest } = input;
  const runId = manifest.run_id;
  const traces = startSampleTraces(manifest, chunk, pending);
  try {
    await addStageJobs(
      first,
      pending.map((sampleId) => ({ runId, sampleId })),
      traces.map((t) => t.metadata),
    );
    const traceIds = new Map<string, string>();
    pending.forEach((sampleId, i) => {
      const traceId = traces[i]?.traceId;
      if (traceId) traceIds.set(sampleId, traceId);
    });
    if (traceIds.size > 0) await store.putTraceIds(runId, traceIds);
  } catch (error) {
    for (const t of traces) t.end(error as Error);
    throw error;
  }
  for (const t of traces) t.end();
}

/** One `gavel.enqueue` root span per pending sample, in `pending` order. */
function startSampleTraces(manifest: RunManifest, chunk: readonly Sample[], pending: readonly string[]): SampleTrace[] {
  if (pending.length === 0) return [];
  const kinds = new Map(chunk.map((s) => [s.id, s.kind]));
  return pending.map((sampleId) => {
    const kind = kinds.get(sampleId);
    const rubric = kind === undefined ? undefined : manifest.rubrics[kind];
    return startSampleTrace({
      [SPAN_ATTR.runId]: manifest.run_id,
      [SPAN_ATTR.sampleId]: sampleId,
      [SPAN_ATTR.datasetHash]: manifest.dataset.sha256,
      ...(kind === undefined ? {} : { [SPAN_ATTR.sampleKind]: kind }),
      ...(rubric ? { [SPAN_ATTR.rubric]: `${rubric.id}@${rubric.version}`, [SPAN_ATTR.rubricHash]: rubric.hash } : {}),
    });
  });
}
