import { createHash } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { InputError, type Logger, TransientError } from '@gavel/core';
import { type RunStore, SAMPLE_JOB_NAME, type StageProcessor } from '@gavel/queue';
import { jobTraceLink, SPAN_ATTR, withSpan } from '@gavel/telemetry';
import { DelayedError } from 'bullmq';
import { transientFromApi } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { noArbiterMetrics } from './arbiter-metrics.ts';
import {
  type ArbiterRequestParams,
  buildArbiterRequest,
  buildPrimingRequest,
  estimateTokens,
} from './arbiter-request.ts';
import { type ArbiterSampleState, ArbiterStore, type SubmitIntent } from './arbiter-store.ts';
import { unarbitratedVerdict } from './arbiter-verdict.ts';
import { flushDecision } from './batch-policy.ts';
import { requestCost } from './cost-ledger.ts';
import { customIdFor, intentKeyFor } from './custom-id.ts';
import { pinnedArbiterMismatch } from './pinned-arbiter.ts';
import { addArbiterJob, arbiterJobId } from './stage-jobs.ts';
import { arbitrateSync } from './sync-arbiter.ts';

/** Clock skew allowed between this host and the API when matching a batch to an intent. */
const INTENT_SKEW_MS = 60_000;

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
 * The arbiter-submit stage. `anthropic-batch`: a routed sample joins the run's pending set; the
 * job that finds a batch due (size, window or a drained judge stage) sends it under a per-run
 * lock — intent record first (its key derived from the request set), one priming call, the batch,
 * then batch id and custom_ids in one transaction. A job whose sample is not yet in a batch moves
 * itself to delayed (no worker slot held) and completes only once its batch id is persisted.
 * `openai-compatible` arbitrates synchronously; `none` keeps the judge's verdict, unarbitrated.
 */
export function createArbiterSubmitStage(deps: ArbiterDeps): StageProcessor {
  const { config } = deps;
  const metrics = deps.metrics ?? noArbiterMetrics;
  const arbStores = new WeakMap<RunStore, ArbiterStore>();
  const arbFor = (store: RunStore): ArbiterStore => {
    let a = arbStores.get(store);
    if (!a) {
      a = new ArbiterStore(store);
      arbStores.set(store, a);
    }
    return a;
  };

  async function findSubmitted(client: Anthropic, arb: ArbiterStore, intent: SubmitIntent, signal: AbortSignal) {
    const candidates: Anthropic.Messages.Batches.MessageBatch[] = [];
    try {
      for await (const batch of client.messages.batches.list({ limit: 100 }, { signal, timeout: config.timeoutMs })) {
        const created = Date.parse(batch.created_at);
        if (created < intent.at - INTENT_SKEW_MS) break;
        // The intent's create call (after at most one priming call) ended within two deadlines.
        if (created > intent.at + 2 * config.timeoutMs + INTENT_SKEW_MS) continue;
        const c = batch.request_counts;
        const total = c.processing + c.succeeded + c.errored + c.canceled + c.expired;
        if (total === intent.custom_ids.length && !(await arb.isClaimed(batch.id))) candidates.push(batch);
      }
    } catch (e) {
      throw transientFromApi(e, 'listing batches to recover a submit intent');
    }
    candidates.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    return candidates[0];
  }

  async function commit(arb: ArbiterStore, intent: SubmitIntent, batchId: string, createdAt: number): Promise<void> {
    const states = new Map<string, ArbiterSampleState>();
    intent.sample_ids.forEach((sampleId, i) => {
      const customId = intent.custom_ids[i] as string;
      states.set(sampleId, {
        attempt: attemptOf(intent, i),
        custom_id: customId,
        status: 'submitted',
        batch_id: batchId,
      });
    });
    await arb.commitBatch(
      intent,
      {
        batch_id: batchId,
        run_id: intent.run_id,
        model: config.model,
        intent: intent.key,
        custom_ids: intent.custom_ids,
        created_at: createdAt,
      },
      states,
    );
  }

  const attemptOf = (intent: SubmitIntent, i: number): number => intent.attempts[i] ?? 0;

  /**
   * After a batch is persisted: one collect job per sample (so polling starts now), and the
   * batch's other submit jobs, still delayed, woken to complete.
   */
  /** The batch members' submit jobs, in `intent.sample_ids` order (absent where a job is gone). */
  const memberJobs = (intent: SubmitIntent) =>
    Promise.all(
      intent.sample_ids.map((sampleId, i) =>
        deps.submitQueue.getJob(arbiterJobId(intent.run_id, sampleId, attemptOf(intent, i))),
      ),
    );

  /**
   * After a batch is persisted: one collect job per sample (so polling starts now), each in its own
   * sample's trace (the context its submit job carries), and the batch's other submit jobs, still
   * delayed, woken to complete.
   */
  async function handOver(intent: SubmitIntent, members?: Awaited<ReturnType<typeof memberJobs>>): Promise<void> {
    const jobs = members ?? (await memberJobs(intent));
    await deps.collectQueue.addBulk(
      intent.sample_ids.map((sampleId, i) => {
        const jobId = arbiterJobId(intent.run_id, sampleId, attemptOf(intent, i));
        const metadata = jobs[i]?.opts.telemetry?.metadata;
        return {
          name: SAMPLE_JOB_NAME,
          data: { runId: intent.run_id, sampleId },
          opts: metadata ? { jobId, telemetry: { metadata } } : { jobId },
        };
      }),
    );
    await Promise.all(
      jobs.map(async (job) => {
        if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
      }),
    );
  }

  async function recoverIntents(client: Anthropic, arb: ArbiterStore, runId: string, signal: AbortSignal, log: Logger) {
    for (const intent of await arb.openIntents(runId)) {
      const found = await findSubmitted(client, arb, intent, signal);
      if (found) {
        await commit(arb, intent, found.id, Date.parse(found.created_at));
        await handOver(intent);
        log.warn({ batchId: found.id, intent: intent.key }, 'adopted a batch submitted before a crash');
      } else {
        await arb.dropIntent(runId, intent.key);
        log.info({ intent: intent.key }, 'dropped a submit intent that never reached the API');
      }
    }
  }

  async function prime(
    client: Anthropic,
    arb: ArbiterStore,
    runId: string,
    intentKey: string,
    rubricText: string,
    signal: AbortSignal,
  ) {
    if (estimateTokens(rubricText) < config.minCacheTokens) return;
    // A prefix primed recently (well within its TTL) is still warm: no second priming call.
    const ttlMs = config.cacheTtl === '1h' ? 3_600_000 : 300_000;
    const warmKey = `${arb.store.prefix}:arb:primed:${config.model}:${createHash('sha256').update(rubricText).digest('hex')}`;
    if ((await arb.redis.set(warmKey, String(Date.now()), 'PX', Math.floor(ttlMs * 0.8), 'NX')) !== 'OK') return;
    const params = buildPrimingRequest(config.model, rubricText, config.cacheTtl);
    const message = await client.messages
      .create(params as Anthropic.Messages.MessageCreateParamsNonStreaming, { signal, timeout: config.timeoutMs })
      .catch(async (e: unknown) => {
        await arb.redis.del(warmKey);
        throw transientFromApi(e, 'priming call');
      });
    const price = config.prices[config.model];
    if (!price) return;
    const cost = requestCost(message.usage, price, config.model, 'priming');
    if (await arb.bookCost(runId, `prime:${intentKey}:${estimateTokens(rubricText)}`, cost)) metrics.cost(cost);
  }

  /** Sends the run's due batch if one is due; returns how long a waiting sample should wait. */
  async function flush(store: RunStore, runId: string, signal: AbortSignal, log: Logger): Promise<number> {
    const client = deps.anthropic;
    if (!client) throw new InputError('GAVEL_ARBITER=anthropic-batch but no Anthropic client was built');
    const arb = arbFor(store);
    const release = await arb.tryLock(arb.runKey(runId, 'flush-lock'), deps.lockTtlMs);
    if (!release) return Math.min(config.batchWindowMs, 1_000);
    try {
      await recoverIntents(client, arb, runId, signal, log);
      // Drained is read before the pending set, so a sample that arrives in between waits for the next batch.
      const drained = await judgeDrained(store, runId);
      const pending = await arb.pending(runId, config.batchMaxRequests);
      const first = pending[0];
      if (!first) return config.batchWindowMs;
      const decision = flushDecision({
        pending: pending.length,
        oldestAt: first.since,
        now: Date.now(),
        windowMs: config.batchWindowMs,
        maxRequests: config.batchMaxRequests,
        judgeDrained: drained,
      });
      if (!decision.flush) return decision.waitMs;
      const manifest = await store.getManifest(runId);
      const requests: { custom_id: string; params: ArbiterRequestParams }[] = [];
      const sampleIds: string[] = [];
      const attempts: number[] = [];
      const rubricTexts = new Set<string>();
      let bytes = 20;
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
        const params = buildArbiterRequest({
          model: config.model,
          maxTokens: config.maxTokens,
          cacheTtl: config.cacheTtl,
          rubricText: rubric.text,
          sample,
          facts,
          judgement,
        });
        const request = { custom_id: state.custom_id, params };
        const size = Buffer.byteLength(JSON.stringify(request)) + 1;
        if (bytes + size > config.batchMaxBytes) {
          if (requests.length === 0) {
            throw new InputError(
              `run ${runId}: sample ${sampleId}'s arbiter request is ${size} bytes, over GAVEL_ARBITER_BATCH_MAX_BYTES`,
            );
          }
          break;
        }
        bytes += size;
        requests.push(request);
        sampleIds.push(sampleId);
        attempts.push(state.attempt);
        rubricTexts.add(rubric.text);
      }
      if (requests.length === 0) return 0;
      const customIds = requests.map((r) => r.custom_id);
      const intent: SubmitIntent = {
        key: intentKeyFor(runId, customIds),
        run_id: runId,
        sample_ids: sampleIds,
        custom_ids: customIds,
        attempts,
        at: Date.now(),
        batch_id: null,
      };
      await arb.writeIntent(intent);
      // Read once: the submit span links to each member's trace, and handOver wakes them.
      const members = await memberJobs(intent);
      const links = members.flatMap((job, i) => {
        const link = jobTraceLink(job?.opts.telemetry?.metadata);
        return link ? [{ ...link, attributes: { [SPAN_ATTR.sampleId]: sampleIds[i] ?? '' } }] : [];
      });
      const batch = await withSpan(
        'gavel.arbiter.submit',
        {
          [SPAN_ATTR.runId]: runId,
          [SPAN_ATTR.model]: config.model,
          [SPAN_ATTR.requestCount]: requests.length,
          [SPAN_ATTR.flushReason]: decision.reason,
        },
        async (span) => {
          for (const text of rubricTexts) await prime(client, arb, runId, intent.key, text, signal);
          // No SDK retries here: a timed-out create may have created the batch; recovery finds it.
          const created = await client.messages.batches
            .create(
              { requests: requests as Anthropic.Messages.Batches.BatchCreateParams['requests'] },
              {
                signal,
                timeout: config.timeoutMs,
                maxRetries: 0,
              },
            )
            .catch((e: unknown) => {
              throw transientFromApi(e, 'batch create');
            });
          span.setAttribute(SPAN_ATTR.batchId, created.id);
          return created;
        },
        { links },
      );
      await commit(arb, intent, batch.id, Date.parse(batch.created_at));
      await handOver(intent, members);
      metrics.batchSubmitted(config.model, requests.length);
      log.info({ runId, batchId: batch.id, requests: requests.length, reason: decision.reason }, 'batch submitted');
      return 0;
    } finally {
      await release();
    }
  }

  return async (payload, { store, signal, log, job }) => {
    const { runId, sampleId } = payload;
    // Plain reads, not loadForStage: a late job of an earlier attempt must not clear a failure
    // the collect stage recorded.
    const [verdict, judgement] = await Promise.all([
      store.getFinalVerdict(runId, sampleId),
      store.getJudgement(runId, sampleId),
    ]);
    if (verdict) return;
    if (!judgement) throw new InputError(`run ${runId}: sample ${sampleId} reached arbiter-submit without a judgement`);
    const pinned = (await store.getManifest(runId)).stages.arbiter;
    const mismatch = pinnedArbiterMismatch(pinned, config);
    if (mismatch) throw new InputError(`run ${runId}: ${mismatch}`);
    switch (config.mode) {
      case 'none':
        await store.putFinalVerdict(runId, sampleId, unarbitratedVerdict(judgement));
        return;
      case 'openai-compatible':
        await arbitrateSync(
          deps,
          store,
          {
            sample: await store.getSample(runId, sampleId),
            facts: await store.getFacts(runId, sampleId),
            judgement,
            runId,
          },
          signal,
        );
        return;
      case 'anthropic-batch':
        break;
    }
    const arb = arbFor(store);
    let state =
      (await arb.getState(runId, sampleId)) ??
      (await arb.enterPending(runId, sampleId, customIdFor(runId, sampleId, 0), Date.now()));
    let waitMs = 0;
    if (state.status === 'pending') {
      waitMs = await flush(store, runId, signal, log);
      state = (await arb.getState(runId, sampleId)) ?? state;
    }
    switch (state.status) {
      case 'submitted':
        await addArbiterJob(deps.collectQueue, payload, state.attempt);
        return;
      case 'done':
      case 'failed':
        return;
      case 'pending': {
        if (!job.token) throw new TransientError('no job token to delay the job with');
        await job.moveToDelayed(Date.now() + Math.max(200, waitMs), job.token);
        throw new DelayedError();
      }
    }
  };
}
