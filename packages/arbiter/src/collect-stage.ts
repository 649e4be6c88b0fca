import { ConfigError, InputError, TransientError } from '@gavel/core';
import { pollDelayMs, reopenFailedRequest, SAMPLE_JOB_NAME, type StageProcessor } from '@gavel/queue';
import { DelayedError } from 'bullmq';
import { reaskAlone } from './answer-reask.ts';
import { errorFromApi } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { noArbiterMetrics } from './arbiter-metrics.ts';
import { ArbiterStore } from './arbiter-store.ts';
import { collectBatch } from './batch-results.ts';
import { cacheHeartbeat } from './cache-heartbeat.ts';
import { drainDuplicates } from './duplicate-drain.ts';
import { pinnedArbiterMismatch } from './pinned-arbiter.ts';
import { createResultSettler } from './result-settle.ts';
import { arbiterJobId } from './stage-jobs.ts';

/**
 * The arbiter-collect stage, one job per sample and attempt. The job polls its batch at most once
 * per interval across all its samples (a poll lock), and otherwise moves itself to delayed with
 * backoff (no worker slot held). The job that finds the batch ended streams its JSONL results
 * once (see {@link collectBatch}). A sample whose answer did not validate is asked once more on
 * its own by its own job; a sample re-submitted (pending again) gets that attempt's submit job
 * from here too, idempotently, so a crash between the results and their re-submission strands
 * nothing. Every state change is a compare-and-set on the sample's attempt, so a crash
 * mid-collection and a second read change nothing twice. A worker whose arbiter differs from the
 * run's pinned one (it would re-ask, and price, with another model) is misconfigured: a
 * {@link ConfigError}, the job returned for a worker configured as the run pinned.
 */
export function createArbiterCollectStage(deps: ArbiterDeps): StageProcessor {
  const { config } = deps;
  const metrics = deps.metrics ?? noArbiterMetrics;
  const handle = createResultSettler(deps, metrics);

  const delay = async (job: Parameters<StageProcessor>[1]['job'], ms: number): Promise<never> => {
    if (!job.token) throw new TransientError('no job token to delay the job with');
    await job.moveToDelayed(Date.now() + ms, job.token);
    throw new DelayedError();
  };

  return async (payload, { store, signal, log, job, retried }) => {
    const { runId, sampleId } = payload;
    const mismatch = pinnedArbiterMismatch((await store.getManifest(runId)).stages.arbiter, config);
    if (mismatch) throw new ConfigError(`run ${runId}: ${mismatch}`);
    const client = deps.anthropic;
    if (!client) throw new ConfigError('GAVEL_ARBITER=anthropic-batch but no Anthropic client was built');
    const arb = new ArbiterStore(store);
    for (let round = 0; round < 2; round += 1) {
      if (await store.getFinalVerdict(runId, sampleId)) return;
      const state = await arb.getState(runId, sampleId);
      if (!state)
        throw new InputError(`run ${runId}: sample ${sampleId} reached arbiter-collect but was never submitted`);
      switch (state.status) {
        case 'done':
          return;
        case 'failed':
          // Retried from Bull Board: the request goes again under its next attempt (as `gavel retry` does).
          if (retried && round === 0 && (await reopenFailedRequest(arb, runId, sampleId))) continue;
          throw new InputError(state.reason ?? 'arbiter request failed');
        case 'pending': {
          // Re-submitted: its next attempt needs a submit job (a no-op while one exists).
          const metadata = job.opts.telemetry?.metadata;
          const jobId = arbiterJobId(runId, sampleId, state.attempt);
          await deps.submitQueue.add(
            SAMPLE_JOB_NAME,
            payload,
            metadata ? { jobId, telemetry: { metadata } } : { jobId },
          );
          return;
        }
        case 'reask':
          await reaskAlone(deps, metrics, client, store, arb, runId, sampleId, state, signal);
          continue;
        case 'submitted':
          break;
      }
      const batchId = state.batch_id;
      if (!batchId) throw new InputError(`run ${runId}: sample ${sampleId} is submitted without a batch id`);
      const record = await arb.getBatch(runId, batchId);
      if (!record) throw new InputError(`batch ${batchId} of sample ${sampleId} has no record in Redis`);
      if (await arb.isCollected(runId, batchId)) {
        await arb.transition(runId, sampleId, state, {
          ...state,
          status: 'failed',
          reason: `batch ${batchId} ended without a result for custom_id ${state.custom_id}`,
        });
        continue;
      }
      const polls = await arb.polls(runId, batchId);
      const interval = pollDelayMs(config.pollMs, polls);
      const pollGate = await arb.tryLock(arb.batchKey(runId, batchId, 'poll'), Math.max(100, interval - 100));
      if (!pollGate) return delay(job, interval);
      const batch = await client.messages.batches
        .retrieve(batchId, {}, { signal, timeout: config.timeoutMs })
        .catch((e: unknown) => {
          throw errorFromApi(e, `retrieve ${batchId}`);
        });
      await arb.bumpPolls(runId, batchId);
      if (batch.processing_status !== 'ended') {
        if (config.heartbeat)
          await cacheHeartbeat(deps, metrics, client, store, arb, record, signal).catch((e: unknown) =>
            log.warn({ err: e }, 'heartbeat failed'),
          );
        return delay(job, pollDelayMs(config.pollMs, polls + 1));
      }
      if (!(await collectBatch(deps, handle, client, store, arb, record, signal, log)))
        return delay(job, Math.min(config.pollMs, 1_000));
      await drainDuplicates(config, metrics, client, arb, runId, signal, log);
    }
  };
}
