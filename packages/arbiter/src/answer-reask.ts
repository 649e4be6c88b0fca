import type Anthropic from '@anthropic-ai/sdk';
import { InputError } from '@gavel/core';
import { type RunStore, sampleImageBytes } from '@gavel/queue';
import { SPAN_ATTR, withSpan } from '@gavel/telemetry';
import { errorFromApi } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import type { ArbiterSampleState } from './arbiter-records.ts';
import { buildArbiterRequest } from './arbiter-request.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import { requestCost } from './cost-ledger.ts';
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
  const params = buildArbiterRequest({
    model,
    maxTokens: config.maxTokens,
    cacheTtl: config.cacheTtl,
    rubric,
    sample,
    facts,
    judgement,
    images: await sampleImageBytes(store.images, sample),
  });
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
    if (await arb.bookCost(runId, `${state.custom_id}:reask`, cost)) metrics.cost(cost);
  }
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
