import type Anthropic from '@anthropic-ai/sdk';
import { InputError } from '@gavel/core';
import { orderCustomIdFor, type RunStore, sampleImageBytes } from '@gavel/queue';
import { SPAN_ATTR, withSpan } from '@gavel/telemetry';
import { errorFromApi } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import type { ArbiterSampleState } from './arbiter-records.ts';
import { arbiterRequestsFor } from './arbiter-request.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import { requestCost } from './cost-ledger.ts';
import { settlePairIfComplete, storedOrder } from './pair-arbiter-settle.ts';
import { recordAnswer, rubricOf } from './record-answer.ts';
import { failSample } from './result-settle.ts';

/**
 * Asks once more, on its own (a synchronous Messages call with the same request), for a sample
 * whose batch answer did not validate, instead of re-sending it in a whole batch. A second
 * invalid answer fails the sample with both reasons. The call's cost is booked under
 * `<custom_id>:reask`.
 */
export async function reaskAlone(
  deps: ArbiterDeps,
  metrics: ArbiterMetrics,
  client: Anthropic,
  store: RunStore,
  arb: ArbiterStore,
  runId: string,
  sampleId: string,
  state: ArbiterSampleState,
  signal: AbortSignal,
): Promise<void> {
  const { config } = deps;
  const [sample, facts, judgement, rubric] = await Promise.all([
    store.getSample(runId, sampleId),
    store.getFacts(runId, sampleId),
    store.getJudgement(runId, sampleId),
    rubricOf(deps, store, runId, sampleId),
  ]);
  if (!judgement) throw new InputError(`run ${runId}: sample ${sampleId} reached arbiter-collect without a judgement`);
  const model = config.model;
  const images = await sampleImageBytes(store.images, sample);
  const paramsFor = arbiterRequestsFor(config, { rubric, sample, facts, judgement, images });
  const ask = async (first: 'a' | 'b' | undefined, costKey: string) => {
    const params = paramsFor(first);
    const message = await withSpan(
      'gavel.arbiter.request',
      { [SPAN_ATTR.runId]: runId, [SPAN_ATTR.sampleId]: sampleId, [SPAN_ATTR.model]: model },
      () =>
        client.messages
          .create(params as Anthropic.Messages.MessageCreateParamsNonStreaming, { signal, timeout: config.timeoutMs })
          .catch((e: unknown) => {
            throw errorFromApi(e, `re-asking arbiter ${model} for sample ${sampleId}`);
          }),
    );
    const price = config.prices[model];
    if (price) {
      const cost = requestCost(message.usage, price, model, 'sync', state.batch_id);
      if (await arb.bookCost(runId, `${costKey}:reask`, cost)) metrics.cost(cost);
    }
    return message;
  };
  if (sample.kind === 'pair') {
    // Only the orders whose batch answer did not validate are asked again, each on its own.
    const have = await arb.pairOrders(runId, sampleId, state.attempt);
    for (const first of ['a', 'b'] as const) {
      if (have.find((o) => o.first === first)?.ok) continue;
      const customId = orderCustomIdFor(runId, sampleId, state.attempt, first);
      const message = await ask(first, customId);
      const order = await storedOrder(deps, store, runId, sampleId, first, customId, message);
      metrics.result(model, order.ok ? 'succeeded' : 'invalid_answer');
      await arb.putPairOrder(runId, sampleId, state.attempt, order);
    }
    const progress = await settlePairIfComplete(deps, store, arb, runId, sampleId, state.attempt, {
      model,
      batch_id: state.batch_id,
      path: 'anthropic-reask',
    });
    if (progress.status === 'done') {
      await arb.transition(runId, sampleId, state, { ...state, status: 'done' });
      return;
    }
    const why = `${state.reason ?? 'arbiter answer invalid'}; asked again on its own: ${progress.status === 'reask' ? progress.reason : 'an order is missing'}`;
    await failSample(store, arb, runId, sampleId, state, why);
    return;
  }
  const message = await ask(undefined, state.custom_id);
  const recorded = await recordAnswer(deps, store, runId, sampleId, message, {
    model,
    batch_id: state.batch_id,
    custom_id: state.custom_id,
    path: 'anthropic-reask',
  });
  if (recorded.ok) {
    await arb.transition(runId, sampleId, state, { ...state, status: 'done' });
    metrics.result(model, 'succeeded');
    return;
  }
  metrics.result(model, 'invalid_answer');
  const why = `${state.reason ?? 'arbiter answer invalid'}; asked again on its own: ${recorded.reason}`;
  await failSample(store, arb, runId, sampleId, state, why);
}
