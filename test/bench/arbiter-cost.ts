/**
 * Arbiter cost benchmark: N routed samples through the real arbiter stages (BullMQ on a fresh
 * redis-server, the real Anthropic SDK against the Batches fake, which reports cache usage as the
 * API documents), then the run's cost report from the ledger. Figures, each beside its same-run
 * baseline computed from the same returned usage: the whole run (batch + cache + priming) against
 * the same requests on demand and uncached; the cached rubric prefix against its uncached price;
 * and the same requests in a batch without the cache.
 *
 *   node --conditions=@gavel/source --import tsx test/bench/arbiter-cost.ts [--samples 500] [--failure-mix true]
 */
import { parseArgs } from 'node:util';
import {
  costReport,
  createArbiterClients,
  createArbiterCollectStage,
  createArbiterSubmitStage,
  loadArbiterConfig,
  requestCost,
} from '@gavel/arbiter';
import { silentLogger } from '@gavel/core';
import { addStageJobs, createRedis, RunStore, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { API_KEY, ARBITER_MODEL, mixedOutcome, seedJudgedRun, until } from '../integration/arbiter-fixtures.ts';
import { textRubric } from '../integration/judge-fixtures.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '500' }, 'failure-mix': { type: 'string', default: 'true' } },
});
const N = Number(values.samples);
const emit = (figure: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
};

const redis = await startRedis();
const fake = await startFakeAnthropicBatches({
  apiKey: API_KEY,
  processingMs: 300,
  outcome: values['failure-mix'] === 'true' ? mixedOutcome : () => 'succeeded',
});
const client = createRedis(redis.url, { role: 'client' });
const workerConnection = createRedis(redis.url, { role: 'worker' });
try {
  const store = new RunStore(client, 'bench');
  const runId = 'bench-arbiter-cost';
  const { routed } = await seedJudgedRun(store, await textRubric(), runId, N, 1);
  const config = loadArbiterConfig({
    GAVEL_ARBITER: 'anthropic-batch',
    GAVEL_ARBITER_MODEL: ARBITER_MODEL,
    GAVEL_ARBITER_API_KEY: API_KEY,
    GAVEL_ARBITER_URL: fake.url,
    GAVEL_ARBITER_POLL_S: '0.2',
  });
  const queue = { connection: client, prefix: '{bench}' };
  const submitQueue = stageQueue('arbiter-submit', queue);
  const collectQueue = stageQueue('arbiter-collect', queue);
  const deps = {
    config,
    ...createArbiterClients(config),
    rubrics: createRubricCache((key) => store.getRubricText(key)),
    submitQueue,
    collectQueue,
    lockTtlMs: 10_000,
  };
  const workers = (['arbiter-submit', 'arbiter-collect'] as const).map((stage) =>
    startStageWorker({
      stage,
      queue: { ...queue, connection: workerConnection },
      store,
      concurrency: 64,
      processor: stage === 'arbiter-submit' ? createArbiterSubmitStage(deps) : createArbiterCollectStage(deps),
      logger: silentLogger,
    }),
  );
  const started = performance.now();
  await addStageJobs(
    submitQueue,
    routed.map((sampleId) => ({ runId, sampleId })),
  );
  await until(async () => (await store.progress(runId)).ended === N, 'every sample to end', 600_000);
  const seconds = (performance.now() - started) / 1000;
  const report = await costReport(store, runId);
  const t = report.total;
  emit({
    figure: 'arbiter_run_cost_usd',
    value: t.usd,
    baseline: t.uncached_usd,
    baseline_name: 'on_demand_uncached',
    share: t.paid_share,
    requests: t.requests,
    batches: fake.batches.size,
    batch_sizes: [...fake.batches.values()].map((b) => b.requests.length),
    seconds,
  });
  emit({
    figure: 'arbiter_rubric_prefix_share',
    value: t.prefix_share,
    baseline: 1,
    baseline_name: 'prefix_uncached',
    prefix_tokens: t.cache_read_tokens + t.cache_write_tokens,
  });
  // Same usage, priced as a batch with no cache (every prefix token as plain batch input).
  const price = config.prices[ARBITER_MODEL];
  if (!price) throw new Error('no price');
  let batchNoCache = 0;
  for (const u of fake.usages.filter((x) => x.kind === 'batch')) {
    batchNoCache += requestCost(
      {
        input_tokens: u.usage.input_tokens + u.usage.cache_read_input_tokens + u.usage.cache_creation_input_tokens,
        output_tokens: u.usage.output_tokens,
      },
      price,
      ARBITER_MODEL,
      'batch',
    ).usd;
  }
  emit({
    figure: 'arbiter_batch_cache_vs_batch_only_usd',
    value: t.usd,
    baseline: batchNoCache,
    baseline_name: 'batch_uncached',
    share: t.usd / batchNoCache,
  });
  await Promise.all(workers.map((w) => w.close(10_000)));
  await Promise.all([submitQueue.close(), collectQueue.close()]);
} finally {
  client.disconnect();
  workerConnection.disconnect();
  await fake.stop();
  await redis.stop();
}
