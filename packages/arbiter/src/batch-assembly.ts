import { InputError } from '@gavel/core';
import { BATCH_BODY_OVERHEAD, orderCustomIdFor, type RunStore, requestBytes, sampleImageBytes } from '@gavel/queue';
import type { LoadedRubric } from '@gavel/rubric';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { type ArbiterRequestParams, arbiterOrders, arbiterRequestsFor } from './arbiter-request.ts';
import type { ArbiterStore } from './arbiter-store.ts';

/** A sample's requests in a batch being sent: one, or a pair's two orders (A first, then B first). */
export interface BatchMember {
  sampleId: string;
  attempt: number;
  /** The first request's custom_id is the one the sample's state holds. */
  requests: { custom_id: string; params: ArbiterRequestParams }[];
  bytes: number;
  rubric: LoadedRubric;
}

/** What assembling found: the members that fit one batch, and samples whose request alone is too big. */
export interface Assembled {
  members: BatchMember[];
  oversized: { sampleId: string; attempt: number; customId: string; reason: string }[];
}

/**
 * Builds the requests of the run's next batch from its pending samples (in waiting order) until
 * the byte budget is spent. A sample that no longer needs the arbiter (verdict, no longer
 * pending) leaves the pending set; one whose request alone exceeds the budget is reported, not
 * sent.
 */
export async function assembleBatch(
  deps: ArbiterDeps,
  store: RunStore,
  arb: ArbiterStore,
  runId: string,
  pending: readonly { sampleId: string }[],
): Promise<Assembled> {
  const { config } = deps;
  const manifest = await store.getManifest(runId);
  const out: Assembled = { members: [], oversized: [] };
  let bytes = BATCH_BODY_OVERHEAD;
  for (const { sampleId } of pending) {
    const [sample, facts, judgement, state, verdict] = await Promise.all([
      store.getSample(runId, sampleId),
      store.getFacts(runId, sampleId),
      store.getJudgement(runId, sampleId),
      arb.getState(runId, sampleId),
      store.getFinalVerdict(runId, sampleId),
    ]);
    if (verdict || !judgement || state?.status !== 'pending') {
      await arb.redis.zrem(arb.runKey(runId, 'pending'), sampleId);
      continue;
    }
    const ref = manifest.rubrics[sample.kind];
    if (!ref) throw new InputError(`run ${runId}: no rubric pinned for ${sample.kind} samples`);
    const rubric = await deps.rubrics.get(ref);
    const images = await sampleImageBytes(store.images, sample);
    const paramsFor = arbiterRequestsFor(config, { rubric, sample, facts, judgement, images });
    const requests = arbiterOrders(sample).map((first) => ({
      custom_id: first ? orderCustomIdFor(runId, sampleId, state.attempt, first) : state.custom_id,
      params: paramsFor(first),
    }));
    const size = requests.reduce((sum, r) => sum + requestBytes(r), 0);
    if (BATCH_BODY_OVERHEAD + size > config.batchMaxBytes) {
      out.oversized.push({
        sampleId,
        attempt: state.attempt,
        customId: state.custom_id,
        reason: `sample ${sampleId}'s arbiter request${requests.length > 1 ? `s (${requests.length} orders)` : ''} ${requests.length > 1 ? 'are' : 'is'} ${size} bytes, over GAVEL_ARBITER_BATCH_MAX_BYTES=${config.batchMaxBytes}`,
      });
      continue;
    }
    if (bytes + size > config.batchMaxBytes) break;
    // A pair's two requests map to their sample and order before any batch can carry them.
    if (requests.length > 1)
      for (const [i, r] of requests.entries())
        await arb.mapOrderCustomId(runId, r.custom_id, sampleId, state.attempt, i === 0 ? 'a' : 'b');
    bytes += size;
    out.members.push({ sampleId, attempt: state.attempt, requests, bytes: size, rubric });
  }
  return out;
}
