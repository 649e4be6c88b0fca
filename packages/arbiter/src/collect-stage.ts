import type Anthropic from '@anthropic-ai/sdk';
import { InputError, type Logger, TransientError } from '@gavel/core';
import { type RunStore, SAMPLE_JOB_NAME, type StageProcessor } from '@gavel/queue';
import { activeSpanLink, jobTraceMetadata, SPAN_ATTR, withSpan } from '@gavel/telemetry';
import { DelayedError } from 'bullmq';
import { transientFromApi } from './api-errors.ts';
import { parseArbiterAnswer } from './arbiter-answer.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { noArbiterMetrics } from './arbiter-metrics.ts';
import { buildPrimingRequest } from './arbiter-request.ts';
import { type ArbiterSampleState, ArbiterStore, type BatchRecord } from './arbiter-store.ts';
import { arbiterVerdict } from './arbiter-verdict.ts';
import { pollDelayMs } from './batch-policy.ts';
import { requestCost } from './cost-ledger.ts';
import { customIdFor } from './custom-id.ts';
import { jobTraceParent } from './job-traces.ts';
import { arbiterJobId } from './stage-jobs.ts';

type BatchResult = Anthropic.Messages.Batches.MessageBatchIndividualResponse;
/** Samples to send again, each with its own trace context (bullmq-otel metadata) when tracing is on. */
type Resubmitted = { sampleId: string; attempt: number; metadata: string | undefined }[];

/**
 * The arbiter-collect stage, one job per sample and attempt. The job polls its batch at most once
 * per interval across all its samples (a poll lock), and otherwise moves itself to delayed with
 * backoff (no worker slot held). The job that finds the batch ended streams its JSONL results
 * once (a collect lock, then a `collected` mark): succeeded answers are validated and recorded as
 * final verdicts with arbiter provenance; errored (server-side), expired and unparseable answers
 * are re-submitted in a later batch up to `maxResubmits`; `invalid_request_error` and canceled
 * requests fail the sample with the reason. Every state change is a compare-and-set on the
 * sample's attempt, so a crash mid-collection and a second read change nothing twice.
 */
export function createArbiterCollectStage(deps: ArbiterDeps): StageProcessor {
  const { config } = deps;
  const metrics = deps.metrics ?? noArbiterMetrics;

  async function fail(
    store: RunStore,
    arb: ArbiterStore,
    runId: string,
    sampleId: string,
    state: ArbiterSampleState,
    reason: string,
  ) {
    if (await arb.transition(runId, sampleId, state, { ...state, status: 'failed', reason })) {
      await store.recordFailure(runId, sampleId, {
        stage: 'arbiter-collect',
        code: 'input',
        reason,
        at: new Date().toISOString(),
      });
    }
  }

  async function resubmitOrFail(
    store: RunStore,
    arb: ArbiterStore,
    runId: string,
    sampleId: string,
    state: ArbiterSampleState,
    reason: string,
    resubmitted: Resubmitted,
  ) {
    if (state.attempt >= config.maxResubmits) {
      await fail(
        store,
        arb,
        runId,
        sampleId,
        state,
        `${reason}; gave up after ${state.attempt + 1} attempts (GAVEL_ARBITER_MAX_RESUBMITS=${config.maxResubmits})`,
      );
      return;
    }
    const next = state.attempt + 1;
    if (await arb.resubmit(runId, sampleId, state, customIdFor(runId, sampleId, next), Date.now())) {
      // Runs inside the sample's own collect span: the next attempt stays in the sample's trace.
      resubmitted.push({ sampleId, attempt: next, metadata: jobTraceMetadata() });
    }
  }

  async function handle(
    store: RunStore,
    arb: ArbiterStore,
    record: BatchRecord,
    line: BatchResult,
    log: Logger,
    resubmitted: Resubmitted,
    resultsLink: ReturnType<typeof activeSpanLink>,
  ) {
    const runId = record.run_id;
    const mapped = await arb.lookupCustomId(runId, line.custom_id);
    if (!mapped) {
      log.warn({ batchId: record.batch_id, customId: line.custom_id }, 'result for an unknown custom_id ignored');
      return;
    }
    const sampleId = mapped.sample_id;
    const state = await arb.getState(runId, sampleId);
    if (state?.status !== 'submitted' || state.attempt !== mapped.attempt || state.batch_id !== record.batch_id) return;
    // Recorded in the sample's own trace (its collect job's context), linked to the batch read.
    const parent = await jobTraceParent(deps.collectQueue, arbiterJobId(runId, sampleId, mapped.attempt));
    await withSpan(
      'gavel.arbiter.collect',
      {
        [SPAN_ATTR.runId]: runId,
        [SPAN_ATTR.sampleId]: sampleId,
        [SPAN_ATTR.batchId]: record.batch_id,
        [SPAN_ATTR.customId]: line.custom_id,
        [SPAN_ATTR.attempt]: mapped.attempt,
        [SPAN_ATTR.resultType]: line.result.type,
        [SPAN_ATTR.model]: record.model,
        ...(line.result.type === 'succeeded'
          ? {
              [SPAN_ATTR.inputTokens]: line.result.message.usage.input_tokens,
              [SPAN_ATTR.outputTokens]: line.result.message.usage.output_tokens,
              [SPAN_ATTR.cacheReadTokens]: line.result.message.usage.cache_read_input_tokens ?? 0,
              [SPAN_ATTR.cacheWriteTokens]: line.result.message.usage.cache_creation_input_tokens ?? 0,
            }
          : {}),
      },
      () => settle(store, arb, record, line, sampleId, state, resubmitted),
      { parent, links: resultsLink ? [resultsLink] : undefined },
    );
  }

  /** Records one result of a sample whose state is `submitted` in this batch. */
  async function settle(
    store: RunStore,
    arb: ArbiterStore,
    record: BatchRecord,
    line: BatchResult,
    sampleId: string,
    state: ArbiterSampleState,
    resubmitted: Resubmitted,
  ) {
    const runId = record.run_id;
    const result = line.result;
    switch (result.type) {
      case 'succeeded': {
        const message = result.message;
        const price = config.prices[record.model];
        if (price) {
          const cost = requestCost(message.usage, price, record.model, 'batch', record.batch_id);
          if (await arb.bookCost(runId, line.custom_id, cost)) metrics.cost(cost);
        }
        const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
        const parsed = parseArbiterAnswer(text);
        if (!parsed.ok) {
          metrics.result(record.model, 'invalid_answer');
          await resubmitOrFail(
            store,
            arb,
            runId,
            sampleId,
            state,
            `arbiter answer invalid: ${parsed.reason}`,
            resubmitted,
          );
          return;
        }
        const judgement = await store.getJudgement(runId, sampleId);
        if (!judgement) throw new InputError(`run ${runId}: sample ${sampleId} has an arbiter answer but no judgement`);
        const u = message.usage;
        const verdict = arbiterVerdict(
          judgement,
          parsed.answer,
          { model: record.model, batch_id: record.batch_id, custom_id: line.custom_id, path: 'anthropic-batch' },
          {
            input: u.input_tokens,
            output: u.output_tokens,
            cache_write: u.cache_creation_input_tokens ?? 0,
            cache_read: u.cache_read_input_tokens ?? 0,
          },
          new Date().toISOString(),
        );
        await store.putFinalVerdict(runId, sampleId, verdict);
        await arb.transition(runId, sampleId, state, { ...state, status: 'done' });
        metrics.result(record.model, 'succeeded');
        return;
      }
      case 'errored': {
        metrics.result(record.model, 'errored');
        const inner = result.error.error;
        const reason = `batch ${record.batch_id} request ${line.custom_id} errored: ${inner.type}: ${inner.message}`;
        if (inner.type === 'invalid_request_error') await fail(store, arb, runId, sampleId, state, reason);
        else await resubmitOrFail(store, arb, runId, sampleId, state, reason, resubmitted);
        return;
      }
      case 'expired':
        metrics.result(record.model, 'expired');
        await resubmitOrFail(
          store,
          arb,
          runId,
          sampleId,
          state,
          `batch ${record.batch_id} request ${line.custom_id} expired`,
          resubmitted,
        );
        return;
      case 'canceled':
        metrics.result(record.model, 'canceled');
        await fail(
          store,
          arb,
          runId,
          sampleId,
          state,
          `batch ${record.batch_id} request ${line.custom_id} was canceled`,
        );
        return;
    }
  }

  /** Streams an ended batch's results into verdicts once. False when another process is at it. */
  async function collect(
    client: Anthropic,
    store: RunStore,
    arb: ArbiterStore,
    record: BatchRecord,
    signal: AbortSignal,
    log: Logger,
  ) {
    const release = await arb.tryLock(arb.batchKey(record.batch_id, 'collect'), deps.lockTtlMs * 10);
    if (!release) return false;
    try {
      if (await arb.isCollected(record.batch_id)) return true;
      const resubmitted: Resubmitted = [];
      const n = await withSpan(
        'gavel.arbiter.results',
        { [SPAN_ATTR.runId]: record.run_id, [SPAN_ATTR.batchId]: record.batch_id, [SPAN_ATTR.model]: record.model },
        async (span) => {
          const results = await client.messages.batches.results(record.batch_id, {}, { signal }).catch((e: unknown) => {
            throw transientFromApi(e, `results of ${record.batch_id}`);
          });
          const link = activeSpanLink();
          let count = 0;
          for await (const line of results) {
            await handle(store, arb, record, line, log, resubmitted, link);
            count += 1;
          }
          span.setAttribute(SPAN_ATTR.resultCount, count);
          return count;
        },
      );
      // Re-submissions are queued once the whole batch is read, so they go out together.
      await deps.submitQueue.addBulk(
        resubmitted.map(({ sampleId, attempt, metadata }) => {
          const jobId = arbiterJobId(record.run_id, sampleId, attempt);
          return {
            name: SAMPLE_JOB_NAME,
            data: { runId: record.run_id, sampleId },
            opts: metadata ? { jobId, telemetry: { metadata } } : { jobId },
          };
        }),
      );
      await arb.markCollected(record.batch_id);
      log.info({ batchId: record.batch_id, results: n }, 'batch collected');
      // Wake the batch's other samples now rather than at their next poll.
      for (const customId of record.custom_ids) {
        const mapped = await arb.lookupCustomId(record.run_id, customId);
        if (!mapped) continue;
        const job = await deps.collectQueue.getJob(arbiterJobId(record.run_id, mapped.sample_id, mapped.attempt));
        if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
      }
      return true;
    } finally {
      await release();
    }
  }

  async function heartbeat(
    client: Anthropic,
    store: RunStore,
    arb: ArbiterStore,
    record: BatchRecord,
    signal: AbortSignal,
  ) {
    const ttlMs = config.cacheTtl === '1h' ? 3_600_000 : 300_000;
    const gate = await arb.tryLock(arb.batchKey(record.batch_id, 'heartbeat'), Math.floor(ttlMs * 0.8));
    if (!gate) return;
    const sampleId = (await arb.lookupCustomId(record.run_id, record.custom_ids[0] ?? ''))?.sample_id;
    if (!sampleId) return;
    const [manifest, sample] = await Promise.all([
      store.getManifest(record.run_id),
      store.getSample(record.run_id, sampleId),
    ]);
    const ref = manifest.rubrics[sample.kind];
    if (!ref) return;
    const rubric = await deps.rubrics.get(ref);
    const params = buildPrimingRequest(record.model, rubric.text, config.cacheTtl);
    const message = await client.messages.create(params as Anthropic.Messages.MessageCreateParamsNonStreaming, {
      signal,
      timeout: config.timeoutMs,
    });
    const price = config.prices[record.model];
    if (!price) return;
    const cost = requestCost(message.usage, price, record.model, 'heartbeat', record.batch_id);
    if (await arb.bookCost(record.run_id, `heartbeat:${record.batch_id}:${Date.now()}`, cost)) metrics.cost(cost);
  }

  const delay = async (job: Parameters<StageProcessor>[1]['job'], ms: number): Promise<never> => {
    if (!job.token) throw new TransientError('no job token to delay the job with');
    await job.moveToDelayed(Date.now() + ms, job.token);
    throw new DelayedError();
  };

  return async (payload, { store, signal, log, job }) => {
    const { runId, sampleId } = payload;
    const client = deps.anthropic;
    if (!client) throw new InputError('arbiter-collect needs GAVEL_ARBITER=anthropic-batch');
    const arb = new ArbiterStore(store);
    for (let round = 0; round < 2; round += 1) {
      if (await store.getFinalVerdict(runId, sampleId)) return;
      const state = await arb.getState(runId, sampleId);
      if (!state)
        throw new InputError(`run ${runId}: sample ${sampleId} reached arbiter-collect but was never submitted`);
      if (state.status === 'done' || state.status === 'pending') return; // pending: a later attempt's jobs carry it
      if (state.status === 'failed') throw new InputError(state.reason ?? 'arbiter request failed');
      const batchId = state.batch_id;
      if (!batchId) throw new InputError(`run ${runId}: sample ${sampleId} is submitted without a batch id`);
      const record = await arb.getBatch(batchId);
      if (!record) throw new InputError(`batch ${batchId} of sample ${sampleId} has no record in Redis`);
      if (await arb.isCollected(batchId)) {
        await arb.transition(runId, sampleId, state, {
          ...state,
          status: 'failed',
          reason: `batch ${batchId} ended without a result for custom_id ${state.custom_id}`,
        });
        continue;
      }
      const polls = await arb.polls(batchId);
      const interval = pollDelayMs(config.pollMs, polls);
      const pollGate = await arb.tryLock(arb.batchKey(batchId, 'poll'), Math.max(100, interval - 100));
      if (!pollGate) return delay(job, interval);
      const batch = await client.messages.batches
        .retrieve(batchId, {}, { signal, timeout: config.timeoutMs })
        .catch((e: unknown) => {
          throw transientFromApi(e, `retrieve ${batchId}`);
        });
      await arb.bumpPolls(batchId);
      if (batch.processing_status !== 'ended') {
        if (config.heartbeat)
          await heartbeat(client, store, arb, record, signal).catch((e: unknown) =>
            log.warn({ err: e }, 'heartbeat failed'),
          );
        return delay(job, pollDelayMs(config.pollMs, polls + 1));
      }
      if (!(await collect(client, store, arb, record, signal, log))) return delay(job, Math.min(config.pollMs, 1_000));
    }
  };
}
