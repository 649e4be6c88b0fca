import type Anthropic from '@anthropic-ai/sdk';
import { type ArbiterPairOrder, InputError } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import { orderJudgement, type PairwiseAnswer } from '@gavel/rubric';
import { readPairToolAnswer } from './arbiter-answer.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { noArbiterMetrics } from './arbiter-metrics.ts';
import type { StoredPairOrder } from './arbiter-records.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import type { ArbiterProvenance } from './arbiter-verdict.ts';
import { pairArbiterVerdict } from './pair-arbiter-verdict.ts';
import { rubricOf } from './record-answer.ts';

/** Where a pair stands once one of its orders is in: the other still out, settled, or to be re-asked. */
export type PairProgress = { status: 'waiting' } | { status: 'done' } | { status: 'reask'; reason: string };

/** One order's Messages response as kept until both are in: validated (positions) or why not, and its usage. */
export async function storedOrder(
  deps: ArbiterDeps,
  store: RunStore,
  runId: string,
  sampleId: string,
  first: 'a' | 'b',
  customId: string,
  message: Pick<Anthropic.Messages.Message, 'content' | 'usage'>,
): Promise<StoredPairOrder> {
  const rubric = await rubricOf(deps, store, runId, sampleId);
  const parsed = readPairToolAnswer(message.content as { type: string }[], rubric);
  const u = message.usage;
  const usage = {
    input: u.input_tokens,
    output: u.output_tokens,
    cache_write: u.cache_creation_input_tokens ?? 0,
    cache_read: u.cache_read_input_tokens ?? 0,
  };
  return parsed.ok
    ? { custom_id: customId, first, ok: true, answer: parsed.answer, usage }
    : {
        custom_id: customId,
        first,
        ok: false,
        reason: `arbiter answer invalid (${first.toUpperCase()} first): ${parsed.reason}`,
        usage,
      };
}

/**
 * Keeps one order's answer of a pair's attempt; once both orders are in and valid, records the
 * final verdict ({@link pairArbiterVerdict}: their agreed outcome, or `inconsistent`) with the usage
 * of both requests. An invalid order asks for a re-ask of that order alone.
 */
export async function recordPairOrder(
  deps: ArbiterDeps,
  store: RunStore,
  arb: ArbiterStore,
  runId: string,
  sampleId: string,
  attempt: number,
  order: StoredPairOrder,
  provenance: Omit<ArbiterProvenance, 'custom_id'>,
): Promise<PairProgress> {
  await arb.putPairOrder(runId, sampleId, attempt, order);
  return settlePairIfComplete(deps, store, arb, runId, sampleId, attempt, provenance);
}

/** Records a pair's verdict when both of its orders are in and valid (see {@link recordPairOrder}). */
export async function settlePairIfComplete(
  deps: ArbiterDeps,
  store: RunStore,
  arb: ArbiterStore,
  runId: string,
  sampleId: string,
  attempt: number,
  provenance: Omit<ArbiterProvenance, 'custom_id'>,
): Promise<PairProgress> {
  const orders = await arb.pairOrders(runId, sampleId, attempt);
  if (orders.length < 2) return { status: 'waiting' };
  const invalid = orders.filter((o) => !o.ok);
  if (invalid.length > 0) return { status: 'reask', reason: invalid.map((o) => o.reason).join('; ') };
  const [judgement, rubric] = await Promise.all([
    store.getJudgement(runId, sampleId),
    rubricOf(deps, store, runId, sampleId),
  ]);
  if (!judgement) throw new InputError(`run ${runId}: sample ${sampleId} has an arbiter answer but no judgement`);
  const judged = orders.map(
    (o): ArbiterPairOrder => ({ ...orderJudgement(o.answer as PairwiseAnswer, o.first), custom_id: o.custom_id }),
  ) as [ArbiterPairOrder, ArbiterPairOrder];
  const usage = { input: 0, output: 0, cache_write: 0, cache_read: 0 };
  for (const o of orders) {
    usage.input += o.usage?.input ?? 0;
    usage.output += o.usage?.output ?? 0;
    usage.cache_write += o.usage?.cache_write ?? 0;
    usage.cache_read += o.usage?.cache_read ?? 0;
  }
  const verdict = pairArbiterVerdict(
    judgement,
    judged,
    rubric,
    { ...provenance, custom_id: judged[0].custom_id },
    usage,
    new Date().toISOString(),
  );
  if (await store.putFinalVerdict(runId, sampleId, verdict))
    (deps.metrics ?? noArbiterMetrics).pairSettled(provenance.model, verdict.pairwise?.arbiter_consistent === true);
  return { status: 'done' };
}
