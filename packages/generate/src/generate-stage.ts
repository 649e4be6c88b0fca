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
import { completionText } from './completion-text.ts';
import type { SutClient, SutReply } from './sut-client.ts';
import { sutMessages } from './sut-prompt.ts';

/** Prices of the SUT's tokens in USD per million (the cost booked with each completion). */
export interface SutPrice {
  input_per_mtok: number;
  output_per_mtok: number;
}

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

function toCompletion(
  reply: SutReply,
  via: Completion['via'],
  requests: number,
  price: SutPrice | undefined,
): Completion {
  const choice = reply.choices[0];
  const raw = choice?.message.content ?? '';
  const finish = choice?.finish_reason ?? null;
  const usage = reply.usage ?? null;
  return {
    text: completionText(raw),
    raw,
    finish_reason: finish,
    truncated: finish === 'length',
    usage,
    model: reply.model,
    via,
    requests,
    cost_usd:
      price && usage
        ? (usage.prompt_tokens * price.input_per_mtok + usage.completion_tokens * price.output_per_mtok) / 1_000_000
        : null,
    at: new Date().toISOString(),
  };
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

/**
 * The generate stage: obtains a sample's completion from the system under test once, stores it
 * (before anything else: the first write wins) and hands the sample on to the sandbox. A sample
 * whose completion is already stored only goes on.
 */
export function createGenerateStage(deps: GenerateStageDeps): StageProcessor {
  return async (payload, { store, signal, log, job }) => {
    const { runId, sampleId } = payload;
    const [manifest, loaded] = await Promise.all([store.getManifest(runId), store.loadForStage(runId, sampleId)]);
    if (loaded.verdict) return;
    if (!loaded.completion) {
      const sut = checkWorker(deps.sut, pinnedGenerate(manifest, sampleId), runId);
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
    await addStageJob(deps.sandbox, payload);
  };
}
