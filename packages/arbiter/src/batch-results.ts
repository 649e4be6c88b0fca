import type Anthropic from '@anthropic-ai/sdk';
import { ConfigError, InputError, type Logger, TransientError } from '@gavel/core';
import { type RunStore, SAMPLE_JOB_NAME } from '@gavel/queue';
import { activeSpanLink, SPAN_ATTR, withSpan } from '@gavel/telemetry';
import { errorFromApi } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import type { BatchRecord } from './arbiter-records.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import type { createResultSettler, Resubmitted } from './result-settle.ts';
import { arbiterJobId } from './stage-jobs.ts';

/**
 * Streams an ended batch's results into the run store once (a collect lock, then a `collected`
 * mark). Re-submissions are queued once the whole batch is read, so they go out together; a
 * crash before that loses nothing, since a collect job that finds its sample pending again adds
 * that attempt's submit job itself. False when another process is collecting the batch.
 */
export async function collectBatch(
  deps: ArbiterDeps,
  handle: ReturnType<typeof createResultSettler>,
  client: Anthropic,
  store: RunStore,
  arb: ArbiterStore,
  record: BatchRecord,
  signal: AbortSignal,
  log: Logger,
): Promise<boolean> {
  const release = await arb.tryLock(arb.batchKey(record.run_id, record.batch_id, 'collect'), deps.lockTtlMs * 10);
  if (!release) return false;
  try {
    if (await arb.isCollected(record.run_id, record.batch_id)) return true;
    const resubmitted: Resubmitted = [];
    const n = await withSpan(
      'gavel.arbiter.results',
      { [SPAN_ATTR.runId]: record.run_id, [SPAN_ATTR.batchId]: record.batch_id, [SPAN_ATTR.model]: record.model },
      async (span) => {
        let count = 0;
        try {
          const results = await client.messages.batches.results(record.batch_id, {}, { signal });
          const link = activeSpanLink();
          for await (const line of results) {
            await handle(store, arb, record, line, log, resubmitted, link);
            count += 1;
          }
        } catch (e) {
          if (e instanceof InputError || e instanceof ConfigError || e instanceof TransientError) throw e;
          throw errorFromApi(e, `results of ${record.batch_id} (after ${count} lines)`);
        }
        span.setAttribute(SPAN_ATTR.resultCount, count);
        return count;
      },
    );
    await deps.submitQueue.addBulk(
      resubmitted.map(({ sampleId, attempt, metadata }) => {
        const jobId = arbiterJobId(record.run_id, sampleId, attempt);
        return {
          name: SAMPLE_JOB_NAME,
          data: { runId: record.run_id, sampleId },
          opts: metadata ? { jobId, telemetry: { metadata } } : { jobId },
        };
      }),
    );
    await arb.markCollected(record.run_id, record.batch_id);
    log.info({ batchId: record.batch_id, results: n }, 'batch collected');
    // Wake the batch's other samples now rather than at their next poll.
    for (const customId of record.custom_ids) {
      const mapped = await arb.lookupCustomId(record.run_id, customId);
      if (!mapped) continue;
      const job = await deps.collectQueue.getJob(arbiterJobId(record.run_id, mapped.sample_id, mapped.attempt));
      if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
    }
    return true;
  } finally {
    await release();
  }
}
