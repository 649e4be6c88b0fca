import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@gavel/core';
import { failBatchSample, type RunStore, resubmitOrFail as resubmitWith } from '@gavel/queue';
import { type activeSpanLink, jobTraceMetadata, SPAN_ATTR, withSpan } from '@gavel/telemetry';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import type { ArbiterSampleState, BatchRecord } from './arbiter-records.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import { requestCost } from './cost-ledger.ts';
import { jobTraceParent } from './job-traces.ts';
import { recordPairOrder, storedOrder } from './pair-arbiter-settle.ts';
import { recordAnswer } from './record-answer.ts';
import { arbiterJobId } from './stage-jobs.ts';

export type BatchResult = Anthropic.Messages.Batches.MessageBatchIndividualResponse;
/** Samples to send again, each with its own trace context (bullmq-otel metadata) when tracing is on. */
export type Resubmitted = { sampleId: string; attempt: number; metadata: string | undefined }[];

/** Fails a sample for good (once: a compare-and-set on its state), recording the reason. */
export function failSample(
  store: RunStore,
  arb: ArbiterStore,
  runId: string,
  sampleId: string,
  state: ArbiterSampleState,
  reason: string,
): Promise<void> {
  return failBatchSample(store, arb, runId, sampleId, state, reason, 'arbiter-collect');
}

/**
 * Records the results of a batch, one line at a time, each in its sample's own trace: a
 * succeeded answer that validates becomes the final verdict (a pair's two orders once both are in); one that does not is marked for one
 * re-ask of its own (`reask`); errored (server-side) and expired requests are re-submitted up to
 * `maxResubmits`; `invalid_request_error` and canceled requests fail the sample with the reason.
 */
export function createResultSettler(deps: ArbiterDeps, metrics: ArbiterMetrics) {
  const { config } = deps;

  async function resubmitOrFail(
    store: RunStore,
    arb: ArbiterStore,
    runId: string,
    sampleId: string,
    state: ArbiterSampleState,
    reason: string,
    resubmitted: Resubmitted,
  ) {
    const next = await resubmitWith(store, arb, runId, sampleId, state, reason, {
      maxResubmits: config.maxResubmits,
      setting: 'GAVEL_ARBITER_MAX_RESUBMITS',
      stage: 'arbiter-collect',
    });
    // Runs inside the sample's own collect span: the next attempt stays in the sample's trace.
    if (next !== undefined) resubmitted.push({ sampleId, attempt: next, metadata: jobTraceMetadata() });
  }

  /** Records one result of a sample whose state is `submitted` in this batch (`first`: a pair's order). */
  async function settle(
    store: RunStore,
    arb: ArbiterStore,
    record: BatchRecord,
    line: BatchResult,
    sampleId: string,
    state: ArbiterSampleState,
    first: 'a' | 'b' | undefined,
    resubmitted: Resubmitted,
  ) {
    const runId = record.run_id;
    const result = line.result;
    const where = `batch ${record.batch_id} request ${line.custom_id}`;
    switch (result.type) {
      case 'succeeded': {
        const message = result.message;
        if (first) {
          // One order of a pair: kept until the other is in, then both are settled together.
          const order = await storedOrder(deps, store, runId, sampleId, first, line.custom_id, message);
          metrics.result(record.model, order.ok ? 'succeeded' : 'invalid_answer');
          const progress = await recordPairOrder(deps, store, arb, runId, sampleId, state.attempt, order, {
            model: record.model,
            batch_id: record.batch_id,
            path: 'anthropic-batch',
          });
          if (progress.status === 'done') await arb.transition(runId, sampleId, state, { ...state, status: 'done' });
          if (progress.status === 'reask')
            await arb.transition(runId, sampleId, state, { ...state, status: 'reask', reason: progress.reason });
          return;
        }
        const recorded = await recordAnswer(deps, store, runId, sampleId, message, {
          model: record.model,
          batch_id: record.batch_id,
          custom_id: line.custom_id,
          path: 'anthropic-batch',
        });
        if (recorded.ok) {
          await arb.transition(runId, sampleId, state, { ...state, status: 'done' });
          metrics.result(record.model, 'succeeded');
          return;
        }
        metrics.result(record.model, 'invalid_answer');
        await arb.transition(runId, sampleId, state, { ...state, status: 'reask', reason: recorded.reason });
        return;
      }
      case 'errored': {
        metrics.result(record.model, 'errored');
        const inner = result.error.error;
        const reason = `${where} errored: ${inner.type}: ${inner.message}`;
        if (inner.type === 'invalid_request_error') await failSample(store, arb, runId, sampleId, state, reason);
        else await resubmitOrFail(store, arb, runId, sampleId, state, reason, resubmitted);
        return;
      }
      case 'expired':
        metrics.result(record.model, 'expired');
        await resubmitOrFail(store, arb, runId, sampleId, state, `${where} expired`, resubmitted);
        return;
      case 'canceled':
        metrics.result(record.model, 'canceled');
        await failSample(store, arb, runId, sampleId, state, `${where} was canceled`);
        return;
    }
  }

  return async function handle(
    store: RunStore,
    arb: ArbiterStore,
    record: BatchRecord,
    line: BatchResult,
    log: Logger,
    resubmitted: Resubmitted,
    resultsLink: ReturnType<typeof activeSpanLink>,
  ): Promise<void> {
    const runId = record.run_id;
    const mapped = await arb.lookupCustomId(runId, line.custom_id);
    if (!mapped) {
      log.warn({ batchId: record.batch_id, customId: line.custom_id }, 'result for an unknown custom_id ignored');
      return;
    }
    const sampleId = mapped.sample_id;
    // Every succeeded request is paid for, from its own usage, whatever became of its sample (a
    // pair's other order may have errored and sent both again): booked once per custom_id.
    const price = config.prices[record.model];
    if (price && line.result.type === 'succeeded') {
      const cost = requestCost(line.result.message.usage, price, record.model, 'batch', record.batch_id);
      if (await arb.bookCost(runId, line.custom_id, cost)) metrics.cost(cost);
    }
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
      () => settle(store, arb, record, line, sampleId, state, mapped.first, resubmitted),
      { parent, links: resultsLink ? [resultsLink] : undefined },
    );
  };
}
