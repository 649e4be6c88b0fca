import { type ArbiterPairOrder, type Facts, InputError, type Sample, TransientError, type Verdict } from '@gavel/core';
import { customIdFor, orderCustomIdFor, type RunStore, sampleImageBytes } from '@gavel/queue';
import { answerSchemaFor, orderJudgement } from '@gavel/rubric';
import { SPAN_ATTR, withSpan } from '@gavel/telemetry';
import { errorFromApi } from './api-errors.ts';
import { readJsonAnswer, readPairJsonAnswer } from './arbiter-answer.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { noArbiterMetrics } from './arbiter-metrics.ts';
import { arbiterRequestsFor } from './arbiter-request.ts';
import { ArbiterStore } from './arbiter-store.ts';
import { arbiterVerdict } from './arbiter-verdict.ts';
import { requestCost } from './cost-ledger.ts';
import { pairArbiterVerdict } from './pair-arbiter-verdict.ts';

/**
 * The air-gapped arbiter: the same request (rubric first, then facts, the judge's verdict, task and
 * output) sent synchronously to an OpenAI-compatible server through the `openai` SDK, with the
 * rubric's answer schema as `response_format`. An answer that fails the schema is retried (transient).
 */
export async function arbitrateSync(
  deps: ArbiterDeps,
  store: RunStore,
  input: { runId: string; sample: Sample; facts: Facts | undefined; judgement: Verdict },
  signal: AbortSignal,
): Promise<void> {
  const { config } = deps;
  const client = deps.openai;
  if (!client) throw new InputError('GAVEL_ARBITER=openai-compatible but no OpenAI client was built');
  const manifest = await store.getManifest(input.runId);
  const ref = manifest.rubrics[input.sample.kind];
  if (!ref) throw new InputError(`run ${input.runId}: no rubric pinned for ${input.sample.kind} samples`);
  const rubric = await deps.rubrics.get(ref);
  const images = await sampleImageBytes(store.images, input.sample);
  const paramsFor = arbiterRequestsFor(config, {
    rubric,
    sample: input.sample,
    facts: input.facts,
    judgement: input.judgement,
    images,
  });
  const request = (params: ReturnType<typeof paramsFor>) =>
    client.chat.completions.create(
      {
        model: config.model,
        temperature: 0,
        max_tokens: config.maxTokens,
        messages: [
          ...params.system.map((b) => ({ role: 'system' as const, content: b.text })),
          ...params.messages.map((m) => ({
            role: m.role,
            // Images go as OpenAI `image_url` parts with data URLs on this wire.
            content:
              typeof m.content === 'string'
                ? m.content
                : m.content.map((b) =>
                    b.type === 'text'
                      ? { type: 'text' as const, text: b.text }
                      : {
                          type: 'image_url' as const,
                          image_url: { url: `data:${b.source.media_type};base64,${b.source.data}` },
                        },
                  ),
          })),
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'grader_answer', schema: answerSchemaFor(rubric), strict: true },
        },
      },
      { signal, timeout: config.timeoutMs },
    );
  const ask = (params: ReturnType<typeof paramsFor>) =>
    withSpan(
      'gavel.arbiter.request',
      {
        [SPAN_ATTR.runId]: input.runId,
        [SPAN_ATTR.sampleId]: input.sample.id,
        [SPAN_ATTR.model]: config.model,
        [SPAN_ATTR.rubricHash]: ref.hash,
      },
      async (span) => {
        const answer = await request(params).catch((e: unknown) => {
          throw errorFromApi(e, `arbiter ${config.model}`);
        });
        span.setAttributes({
          [SPAN_ATTR.inputTokens]: answer.usage?.prompt_tokens ?? 0,
          [SPAN_ATTR.outputTokens]: answer.usage?.completion_tokens ?? 0,
          [SPAN_ATTR.cacheReadTokens]: answer.usage?.prompt_tokens_details?.cached_tokens ?? 0,
          ...(answer.choices[0]?.finish_reason ? { [SPAN_ATTR.finishReason]: answer.choices[0].finish_reason } : {}),
        });
        return answer;
      },
    );
  const textOf = (completion: Awaited<ReturnType<typeof ask>>): string => {
    const choice = completion.choices[0];
    if (choice?.finish_reason === 'length') {
      throw new TransientError(`arbiter ${config.model}: answer cut at max_tokens=${config.maxTokens}`);
    }
    return choice?.message.content ?? '';
  };
  const tokensOf = (completion: Awaited<ReturnType<typeof ask>>) => ({
    input: completion.usage?.prompt_tokens ?? 0,
    output: completion.usage?.completion_tokens ?? 0,
    cache_write: 0,
    cache_read: completion.usage?.prompt_tokens_details?.cached_tokens ?? 0,
  });
  const book = async (customId: string, tokens: ReturnType<typeof tokensOf>) => {
    const price = config.prices[config.model];
    if (!price) return;
    const cost = requestCost(
      {
        input_tokens: tokens.input - tokens.cache_read,
        output_tokens: tokens.output,
        cache_read_input_tokens: tokens.cache_read,
      },
      price,
      config.model,
      'sync',
    );
    if (await new ArbiterStore(store).bookCost(input.runId, customId, cost))
      (deps.metrics ?? noArbiterMetrics).cost(cost);
  };
  if (input.sample.kind === 'pair') {
    // Both orders, as the judge was asked: the verdict is theirs only when they agree.
    const orders: ArbiterPairOrder[] = [];
    const total = { input: 0, output: 0, cache_write: 0, cache_read: 0 };
    for (const first of ['a', 'b'] as const) {
      const completion = await ask(paramsFor(first));
      const parsed = readPairJsonAnswer(textOf(completion), rubric);
      const customId = orderCustomIdFor(input.runId, input.sample.id, 0, first);
      const tokens = tokensOf(completion);
      await book(customId, tokens);
      if (!parsed.ok)
        throw new TransientError(`arbiter ${config.model} (${first.toUpperCase()} first): ${parsed.reason}`);
      orders.push({ ...orderJudgement(parsed.answer, first), custom_id: customId });
      total.input += tokens.input;
      total.output += tokens.output;
      total.cache_read += tokens.cache_read;
    }
    const verdict = pairArbiterVerdict(
      input.judgement,
      orders as [ArbiterPairOrder, ArbiterPairOrder],
      rubric,
      { model: config.model, batch_id: null, custom_id: orders[0]?.custom_id ?? '', path: 'openai-compatible' },
      total,
      new Date().toISOString(),
    );
    if (await store.putFinalVerdict(input.runId, input.sample.id, verdict))
      (deps.metrics ?? noArbiterMetrics).pairSettled(config.model, verdict.pairwise?.arbiter_consistent === true);
    return;
  }
  const completion = await ask(paramsFor());
  const parsed = readJsonAnswer(textOf(completion), rubric);
  if (!parsed.ok) throw new TransientError(`arbiter ${config.model}: ${parsed.reason}`);
  const customId = customIdFor(input.runId, input.sample.id, 0);
  const tokens = tokensOf(completion);
  const verdict = arbiterVerdict(
    input.judgement,
    parsed.answer,
    { model: config.model, batch_id: null, custom_id: customId, path: 'openai-compatible' },
    tokens,
    new Date().toISOString(),
  );
  if (completion.usage) await book(customId, tokens);
  await store.putFinalVerdict(input.runId, input.sample.id, verdict);
}
