import {
  type Completion,
  ConfigError,
  endpointDiffers,
  InputError,
  jobIdFor,
  type Logger,
  normaliseEndpoint,
  type RunManifest,
  type Sample,
  TransientError,
} from '@gavel/core';
import { addStageJob, type RunStore, type StageProcessor, type StageQueue } from '@gavel/queue';
import { DelayedError } from 'bullmq';
import { stepBatchSample } from './batch-stage.ts';
import { type SutPrice, toCompletion } from './completion-record.ts';
import type { SutBatchApi } from './openai-batch-api.ts';
import type { SutClient } from './sut-client.ts';
import type { SutBatchConfig } from './sut-config.ts';
import { sutMessages } from './sut-prompt.ts';

export interface GenerateStageDeps {
  /** The worker's SUT endpoint; undefined when the worker has none configured. */
  sut: SutClient | undefined;
  sandbox: StageQueue;
  /** The SUT's price, when it has one. */
  price?: SutPrice;
  /** Told of each completion obtained (metrics). */
  onCompletion?: (completion: Completion) => void;
  /** How soon a retry looks again for an answer the server may still be writing (the job waits delayed). @default 5000 */
  adoptPollMs?: number;
  /** The SUT endpoint's Batch API and batch-mode settings (runs enqueued with `--batch`). */
  batch?: {
    api: SutBatchApi;
    config: SutBatchConfig;
    /** TTL of the run's batch flush lock (a dead holder loses it after this; renewed while held). */
    lockTtlMs: number;
  };
  /** This stage's own queue: batch mode wakes a batch's delayed jobs when it goes out or is read. */
  generate?: StageQueue;
}

function pinnedGenerate(manifest: RunManifest, sampleId: string): NonNullable<RunManifest['stages']['generate']> {
  const pinned = manifest.stages.generate;
  if (!pinned)
    throw new InputError(`run ${manifest.run_id}: sample ${sampleId} reached generate, but the run generates nothing`);
  return pinned;
}

function checkWorker(
  sut: SutClient | undefined,
  pinned: { model: string | null; endpoint: string | null },
  runId: string,
): SutClient {
  if (!sut) {
    throw new ConfigError(
      `run ${runId} generates its outputs with ${pinned.model ?? 'a SUT'}, but this generate worker has no SUT endpoint: set GAVEL_SUT_URL and GAVEL_SUT_MODEL (the run's generate jobs wait in the queue)`,
    );
  }
  if (pinned.model !== null && pinned.model !== sut.model) {
    throw new ConfigError(
      `run ${runId} is pinned to SUT model ${pinned.model}, this worker asks ${sut.model}; start a worker with GAVEL_SUT_MODEL=${pinned.model} (the run's generate jobs wait in the queue)`,
    );
  }
  if (endpointDiffers(pinned.endpoint, sut.url)) {
    throw new ConfigError(
      `run ${runId} is pinned to the SUT endpoint ${pinned.endpoint}, this worker asks ${normaliseEndpoint(sut.url)}; start a worker with GAVEL_SUT_URL=${pinned.endpoint} (the run's generate jobs wait in the queue)`,
    );
  }
  return sut;
}

/**
 * Asks for one completion at most once per answer: an intent is recorded before each request; a
 * retry that finds one (the earlier attempt may have been answered, then lost in a crash before
 * the store write) first looks for that answer among the server's stored completions — waiting
 * while it may still be in flight — and adopts it. Only a server that keeps no completions is
 * asked again, and the completion then says how many requests it took.
 */
async function obtainCompletion(
  store: RunStore,
  sut: SutClient,
  manifest: RunManifest,
  sample: Sample,
  deps: GenerateStageDeps,
  signal: AbortSignal,
  log: Logger,
): Promise<Completion | { waitMs: number }> {
  const runId = manifest.run_id;
  const sampleId = sample.id;
  const pinned = pinnedGenerate(manifest, sampleId);
  const slot = sample.kind === 'pair' ? undefined : sample.generation;
  if (!slot) throw new InputError(`run ${runId}: sample ${sampleId} has no generation slot (index, seed)`);
  const key = jobIdFor(runId, sampleId);
  const prior = await store.generation.intent(runId, sampleId);
  if (prior && sut.storesCompletions) {
    const stored = await sut.findStored(prior.key, signal);
    if (stored) {
      log.info({ requests: prior.requests }, 'adopted the stored completion of an earlier attempt');
      return toCompletion(stored, 'adopted', prior.requests, deps.price);
    }
    // The earlier request may still be running on the server: look again (the job waits delayed,
    // holding no worker slot) until its deadline has passed; only then is it asked again.
    const deadline = Date.parse(prior.at) + sut.requestTimeoutMs + sut.waitMs;
    if (Date.now() < deadline) return { waitMs: Math.min(deps.adoptPollMs ?? 5_000, deadline - Date.now()) };
  }
  const requests = (prior?.requests ?? 0) + 1;
  if (prior) log.warn({ requests }, 'an earlier attempt asked and its answer is lost: asking again');
  const reply = await sut.complete(
    {
      messages: sutMessages(sample),
      temperature: pinned.temperature,
      seed: slot.seed,
      maxTokens: pinned.max_tokens,
      key,
    },
    signal,
    // Written in the in-flight slot, right before each HTTP attempt: from here on the server may answer.
    () => store.generation.putIntent(runId, sampleId, { key, requests, at: new Date().toISOString() }),
  );
  return toCompletion(reply, 'request', requests, deps.price);
}

/** Promotes the delayed generate jobs of these samples (the job ids the producer gave them). */
function wakeJobs(queue: StageQueue) {
  return async (runId: string, sampleIds: readonly string[]): Promise<void> => {
    await Promise.all(
      sampleIds.map(async (sampleId) => {
        const job = await queue.getJob(jobIdFor(runId, sampleId));
        if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
      }),
    );
  };
}

/**
 * The generate stage: obtains a sample's completion from the system under test once, stores it
 * (before anything else: the first write wins) and hands the sample on to the sandbox. A sample
 * whose completion is already stored only goes on.
 */
export function createGenerateStage(deps: GenerateStageDeps): StageProcessor {
  return async (payload, { store, signal, log, job, retried, trace }) => {
    const { runId, sampleId } = payload;
    const [manifest, loaded] = await Promise.all([store.getManifest(runId), store.loadForStage(runId, sampleId)]);
    if (loaded.verdict) return;
    const pinned = pinnedGenerate(manifest, sampleId);
    if (!loaded.completion && pinned.mode === 'openai-batch') {
      const sut = checkWorker(deps.sut, pinned, runId);
      if (!deps.batch)
        throw new ConfigError(`run ${runId} generates in batch mode, but this worker has no Batch API client`);
      const step = await stepBatchSample(
        {
          api: deps.batch.api,
          config: deps.batch.config,
          lockTtlMs: deps.batch.lockTtlMs,
          price: deps.price,
          onCompletion: deps.onCompletion,
          wake: deps.generate ? wakeJobs(deps.generate) : undefined,
        },
        store,
        manifest,
        sampleId,
        signal,
        log.child({ sut: sut.model }),
        retried,
      );
      if (step !== 'done') {
        if (!job.token)
          throw new TransientError(`sample ${sampleId}: its batch is not done; no job token to wait with`);
        await job.moveToDelayed(Date.now() + step.waitMs, job.token);
        throw new DelayedError();
      }
    } else if (!loaded.completion) {
      const sut = checkWorker(deps.sut, pinned, runId);
      const completion = await obtainCompletion(store, sut, manifest, loaded.sample, deps, signal, log);
      if ('waitMs' in completion) {
        if (!job.token)
          throw new TransientError(`sample ${sampleId}: an earlier answer may still come; no job token to wait with`);
        await job.moveToDelayed(Date.now() + completion.waitMs, job.token);
        throw new DelayedError();
      }
      const stored = await store.generation.putCompletion(runId, sampleId, completion);
      if (stored === completion) deps.onCompletion?.(completion);
    }
    await addStageJob(deps.sandbox, payload, trace);
  };
}
