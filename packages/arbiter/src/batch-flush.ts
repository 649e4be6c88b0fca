import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import { flushCandidates, holdLock } from '@gavel/queue';
import { jobTraceLink, SPAN_ATTR, withSpan } from '@gavel/telemetry';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { ArbiterMetrics } from './arbiter-metrics.ts';
import { buildPrimingRequest } from './arbiter-request.ts';
import { ArbiterStore } from './arbiter-store.ts';
import { assembleBatch } from './batch-assembly.ts';
import { failUnsendable, type SendMember, sendBatch } from './batch-send.ts';
import { drainDuplicates } from './duplicate-drain.ts';
import { memberJobs } from './hand-over.ts';
import { recoverIntents } from './intent-recovery.ts';
import { primeCache } from './priming.ts';

/**
 * True once no more samples of the run can reach the arbiter: each sample is judged or failed
 * before the judge, and every routed sample has reached the submit stage.
 */
export async function judgeDrained(store: RunStore, runId: string): Promise<boolean> {
  const p = await store.progress(runId);
  const failedEarly = (p.failedByStage.sandbox ?? 0) + (p.failedByStage.judge ?? 0);
  if (p.total === 0 || p.judged + failedEarly < p.total) return false;
  return (await new ArbiterStore(store).enteredCount(runId)) >= p.routed;
}

/**
 * Sends the run's due batch if one is due, under the run's flush lock (renewed while flushing);
 * returns how long a waiting sample should wait. Open intents are settled first and their
 * samples held back; then the policy decides, the requests are assembled, the prefix primed, and
 * the batch sent.
 */
export async function flushRun(
  deps: ArbiterDeps,
  metrics: ArbiterMetrics,
  client: Anthropic,
  store: RunStore,
  arb: ArbiterStore,
  runId: string,
  signal: AbortSignal,
  log: Logger,
): Promise<number> {
  const { config } = deps;
  const lock = await holdLock(arb, arb.runKey(runId, 'flush-lock'), deps.lockTtlMs);
  if (!lock) return Math.min(config.batchWindowMs, 1_000);
  const flushSignal = AbortSignal.any([signal, lock.signal]);
  try {
    const held = await recoverIntents(deps, client, arb, runId, flushSignal, log);
    await drainDuplicates(config, metrics, client, arb, runId, flushSignal, log);
    // Drained is read before the pending set, so a sample that arrives in between waits for the next batch.
    const drained = await judgeDrained(store, runId);
    const window = { windowMs: config.batchWindowMs, maxRequests: config.batchMaxRequests, pollMs: config.pollMs };
    const candidates = await flushCandidates(arb, runId, held, window, drained);
    if ('waitMs' in candidates) return candidates.waitMs;
    const pending = candidates.send;
    const { members, oversized } = await assembleBatch(deps, store, arb, runId, pending);
    for (const o of oversized) await failUnsendable(store, arb, runId, o, o.reason);
    if (members.length === 0) return 0;
    // Read once: the submit span links to each member's trace, and the hand-over wakes them.
    const jobs = await memberJobs(deps, {
      run_id: runId,
      sample_ids: members.map((m) => m.sampleId),
      attempts: members.map((m) => m.attempt),
    });
    const sendMembers: SendMember[] = members.map((m, i) => ({ ...m, job: jobs[i] }));
    const links = sendMembers.flatMap((m) => {
      const link = jobTraceLink(m.job?.opts.telemetry?.metadata);
      return link ? [{ ...link, attributes: { [SPAN_ATTR.sampleId]: m.sampleId } }] : [];
    });
    await withSpan(
      'gavel.arbiter.submit',
      {
        [SPAN_ATTR.runId]: runId,
        [SPAN_ATTR.model]: config.model,
        [SPAN_ATTR.requestCount]: members.length,
        [SPAN_ATTR.flushReason]: candidates.reason,
      },
      async (span) => {
        const rubrics = new Map(members.map((m) => [m.rubric.ref.hash, m.rubric]));
        for (const rubric of rubrics.values()) {
          const params = buildPrimingRequest(config.model, rubric, config.cacheTtl);
          await primeCache(config, metrics, client, arb, runId, { params, rubricText: rubric.text }, flushSignal);
        }
        await sendBatch(
          {
            deps,
            metrics,
            client,
            store,
            arb,
            runId,
            lock,
            signal,
            log,
            reason: candidates.reason,
            onCreated: (batchId) => span.setAttribute(SPAN_ATTR.batchId, batchId),
          },
          sendMembers,
        );
      },
      { links },
    );
    return 0;
  } finally {
    await lock.release();
  }
}
