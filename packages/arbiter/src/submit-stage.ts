import { ConfigError, InputError, TransientError } from '@gavel/core';
import type { RunStore, StageProcessor } from '@gavel/queue';
import { customIdFor } from '@gavel/queue';
import { DelayedError } from 'bullmq';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { noArbiterMetrics } from './arbiter-metrics.ts';
import { ArbiterStore } from './arbiter-store.ts';
import { unarbitratedVerdict } from './arbiter-verdict.ts';
import { flushRun } from './batch-flush.ts';
import { pinnedArbiterMismatch } from './pinned-arbiter.ts';
import { addArbiterJob } from './stage-jobs.ts';
import { arbitrateSync } from './sync-arbiter.ts';

/**
 * The arbiter-submit stage. `anthropic-batch`: a routed sample joins the run's pending set; the
 * job that finds a batch due (size, window or a drained judge stage) sends it under the run's
 * flush lock (see {@link flushRun}). A job whose sample is not yet in a batch moves itself to
 * delayed (no worker slot held) and completes only once its batch id is persisted.
 * `openai-compatible` arbitrates synchronously; `none` keeps the judge's verdict, unarbitrated.
 * A worker whose arbiter differs from the run's pinned one is misconfigured: a {@link ConfigError}
 * (the job goes back to the queue for a worker configured as the run pinned).
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
    if (mismatch) throw new ConfigError(`run ${runId}: ${mismatch}`);
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
    const client = deps.anthropic;
    if (!client) throw new ConfigError('GAVEL_ARBITER=anthropic-batch but no Anthropic client was built');
    const arb = arbFor(store);
    let state =
      (await arb.getState(runId, sampleId)) ??
      (await arb.enterPending(runId, sampleId, customIdFor(runId, sampleId, 0), Date.now()));
    let waitMs = 0;
    if (state.status === 'pending') {
      if (await arb.ensurePending(runId, sampleId, state, Date.now()))
        log.warn(
          { customId: state.custom_id },
          'pending sample was missing from the pending set (a crash mid-write); re-added',
        );
      waitMs = await flushRun(deps, metrics, client, store, arb, runId, signal, log);
      state = (await arb.getState(runId, sampleId)) ?? state;
    }
    switch (state.status) {
      case 'submitted':
      case 'reask':
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
