import {
  ArbiterStore,
  costReport,
  createArbiterClients,
  createArbiterCollectStage,
  createArbiterSubmitStage,
  customIdFor,
  intentKeyFor,
  loadArbiterConfig,
} from '@gavel/arbiter';
import { arbiterRunKey, jobIdFor, type Stage, silentLogger } from '@gavel/core';
import {
  addStageJobs,
  createRedis,
  RunStore,
  type StageQueue,
  type StageWorker,
  stageQueue,
  startStageWorker,
} from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { retryFailedJobs } from '@gavel/runs';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeBatchesServer,
  type FakeOutcome,
  startFakeAnthropicBatches,
} from '../fakes/anthropic-batches-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { API_KEY, ARBITER_MODEL, mixedOutcome, seedJudgedRun, until } from './arbiter-fixtures.ts';
import { textCase, textRubric } from './judge-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
let fake: FakeBatchesServer | undefined;
const workers: StageWorker[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close(5_000)));
  await fake?.stop();
  fake = undefined;
});
afterAll(async () => {
  client.disconnect();
  workerConnection.disconnect();
  await redis.stop();
});

async function runArbiter(
  prefix: string,
  runId: string,
  outcome: (r: { custom_id: string; index: number; seen: number }) => FakeOutcome,
  samples = 30,
  routeEvery = 3,
  extra: {
    env?: NodeJS.ProcessEnv;
    processingMs?: number;
    judgeStillRunning?: boolean;
    before?: (store: RunStore, routed: string[]) => Promise<void>;
  } = {},
) {
  fake = await startFakeAnthropicBatches({ apiKey: API_KEY, processingMs: extra.processingMs ?? 300, outcome });
  const rubric = await textRubric();
  const store = new RunStore(client, prefix);
  const { routed } = await seedJudgedRun(store, rubric, runId, samples, routeEvery);
  // One more sample the judge has not reached: the judge stage has not drained.
  if (extra.judgeStillRunning)
    await store.putSamples(runId, [{ ...textCase(samples, true).sample, id: 'not-judged-yet' }]);
  const config = loadArbiterConfig({
    GAVEL_ARBITER: 'anthropic-batch',
    GAVEL_ARBITER_MODEL: ARBITER_MODEL,
    GAVEL_ARBITER_API_KEY: API_KEY,
    GAVEL_ARBITER_URL: fake.url,
    GAVEL_ARBITER_POLL_S: '0.2',
    GAVEL_ARBITER_BATCH_WINDOW_S: '30',
    GAVEL_ARBITER_MAX_RESUBMITS: '2',
    ...extra.env,
  });
  const queue = { connection: client, prefix: `{${prefix}}` };
  const submitQueue = stageQueue('arbiter-submit', queue);
  const collectQueue = stageQueue('arbiter-collect', queue);
  const deps = {
    config,
    ...createArbiterClients(config),
    rubrics: createRubricCache((key) => store.getRubricText(key)),
    submitQueue,
    collectQueue,
    lockTtlMs: 5_000,
  };
  for (const [stage, processor] of [
    ['arbiter-submit', createArbiterSubmitStage(deps)],
    ['arbiter-collect', createArbiterCollectStage(deps)],
  ] as const) {
    workers.push(
      startStageWorker({
        stage,
        queue: { ...queue, connection: workerConnection },
        store,
        concurrency: 16,
        processor,
        logger: silentLogger,
      }),
    );
  }
  await extra.before?.(store, routed);
  await addStageJobs(
    submitQueue,
    routed.map((sampleId) => ({ runId, sampleId })),
  );
  await until(async () => (await store.progress(runId)).ended === samples, 'every judged sample to end').catch(
    async (e) => {
      console.log(JSON.stringify({ progress: await store.progress(runId), counts: fake?.counts }));
      console.log(JSON.stringify(await client.hgetall(arbiterRunKey(prefix, runId, 'state'))));
      console.log(
        JSON.stringify(
          [...(fake?.batches.values() ?? [])].map((b) => ({
            id: b.id,
            n: b.requests.length,
            r: b.results?.map((x) => x.result.type),
          })),
        ),
      );
      for (const q of [collectQueue, submitQueue]) {
        const jobs = await q.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active']);
        console.log(q.name, JSON.stringify(jobs.map((j) => [j.id, j.finishedOn, j.failedReason, j.attemptsMade])));
      }
      throw e;
    },
  );
  await Promise.all([submitQueue.close(), collectQueue.close()]);
  return { store, routed, fake, rubric };
}

describe('arbiter stages on a real Redis and BullMQ against the Batches fake', () => {
  it('re-submits errored and expired requests in a later batch and ends every sample with one arbiter verdict', async () => {
    const runId = 'run-arb-mix';
    const { store, routed, fake } = await runArbiter('arb-mix', runId, mixedOutcome);
    const progress = await store.progress(runId);
    expect(progress).toMatchObject({ total: 30, verdicts: 30, failed: 0, routed: 10, arbitrated: 10 });

    // The first batch really ended with a mix; the re-submitted requests went into later batches.
    const batches = [...fake.batches.values()];
    const types = batches.flatMap((b) => (b.results ?? []).map((r) => r.result.type));
    expect(new Set(types)).toEqual(new Set(['succeeded', 'errored', 'expired']));
    expect(batches.length).toBeGreaterThanOrEqual(2);
    // No request set was submitted twice; each batch's results were read once.
    const customIds = batches.flatMap((b) => b.requests.map((r) => r.custom_id));
    expect(new Set(customIds).size).toBe(customIds.length);
    for (const b of batches) expect(fake.resultReads.get(b.id)).toBe(1);

    const arb = new ArbiterStore(store);
    for (const sampleId of routed) {
      const verdict = await store.getFinalVerdict(runId, sampleId);
      const state = await arb.getState(runId, sampleId);
      expect(verdict).toMatchObject({
        source: 'arbiter',
        arbitration: 'done',
        route: 'arbiter',
        arbiter: {
          model: ARBITER_MODEL,
          path: 'anthropic-batch',
          custom_id: state?.custom_id,
          batch_id: state?.batch_id,
        },
        judge_verdict: { pass: true, score: 0.52 },
      });
      expect(state?.custom_id).toBe(customIdFor(runId, sampleId, state?.attempt ?? -1));
      expect(state?.custom_id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    }
    const resubmitted = await Promise.all(routed.map((s) => arb.getState(runId, s)));
    expect(resubmitted.filter((s) => (s?.attempt ?? 0) > 0).length).toBe(
      types.filter((t) => t === 'errored' || t === 'expired').length,
    );

    // Every batch request carries the rubric's exact bytes as the cached first block.
    const rubric = await textRubric();
    for (const b of batches) {
      for (const r of b.requests) {
        const first = (r.params.system as { text: string; cache_control?: unknown }[])[0];
        expect(first?.text).toBe(rubric.text);
        expect(first?.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
      }
    }
    // The priming call wrote the cache before the batch; batch requests read it.
    const batchUsages = fake.usages.filter((u) => u.kind === 'batch').map((u) => u.usage);
    expect(batchUsages.every((u) => u.cache_read_input_tokens > 0 && u.cache_creation_input_tokens === 0)).toBe(true);
    // One priming call: later batches within the TTL find the prefix still warm.
    expect(fake.counts.messages).toBe(1);

    const report = await costReport(store, runId);
    expect(report.total.requests).toBe(10);
    // The ledger booked every usage the API returned (batch results and priming calls), once.
    const allUsages = fake.usages.map((u) => u.usage);
    expect(report.total.cache_read_tokens).toBe(allUsages.reduce((s, u) => s + u.cache_read_input_tokens, 0));
    expect(report.total.cache_write_tokens).toBe(allUsages.reduce((s, u) => s + u.cache_creation_input_tokens, 0));
    expect(report.total.output_tokens).toBe(allUsages.reduce((s, u) => s + u.output_tokens, 0));
    expect(report.total.paid_share).toBeLessThan(0.5);
    expect(report.total.prefix_share).toBeCloseTo(0.05, 6);
    expect(report.total.overhead_usd).toBeGreaterThan(0);
    console.log(JSON.stringify({ figure: 'arbiter_cost_in_process', ...report.total }));
  });

  it('fails invalid_request and canceled requests with the reason, and gives up on expiry after the re-submit limit', async () => {
    const runId = 'run-arb-fail';
    // First sight by position in the batch; a request sent again keeps expiring.
    // Requests a user retried after their samples failed: answered (see the end of the test).
    const retriedIds = new Set<string>();
    const outcome = (r: { custom_id: string; index: number; seen: number }): FakeOutcome =>
      retriedIds.has(r.custom_id)
        ? 'succeeded'
        : r.seen > 0
          ? 'expired'
          : ((['invalid_request', 'canceled', 'expired', 'succeeded'] as const)[r.index % 4] ?? 'succeeded');
    // 4 routed samples; the judge stage has drained, so they go in one batch.
    const { store, routed, fake } = await runArbiter('arb-fail', runId, outcome, 8, 2);
    expect((await store.progress(runId)).ended).toBe(8);
    const first = [...fake.batches.values()][0];
    expect(first?.requests.length).toBe(4);
    const failures = await store.getFailures(runId);
    expect(failures.size).toBe(3);
    const reasons = [...failures.values()].map((f) => f.reason);
    expect(
      reasons.filter((r) => /invalid_request_error: messages: text content blocks must be non-empty/.test(r)),
    ).toHaveLength(1);
    expect(reasons.filter((r) => /was canceled/.test(r))).toHaveLength(1);
    expect(reasons.filter((r) => /expired; gave up after 3 attempts/.test(r))).toHaveLength(1);
    for (const f of failures.values()) expect(f.stage).toBe('arbiter-collect');
    for (const sampleId of routed) {
      const hasVerdict = (await store.getFinalVerdict(runId, sampleId)) !== undefined;
      expect(hasVerdict).toBe(!failures.has(sampleId));
    }
    // The expiring request went out 1 + GAVEL_ARBITER_MAX_RESUBMITS times, each in its own later batch.
    expect(fake.counts.creates).toBe(3);

    // A user retries two of the failed samples: the canceled one from Bull Board
    // (`job.retry('failed')`, @bull-board/api handlers/retryJob.js), the refused one as `gavel retry`
    // does (retryFailedJobs). Each request goes again under its next attempt (before: the retried
    // job failed at once on the old answer, and nothing was sent).
    const idOf = (pattern: RegExp) => [...failures].find(([, f]) => pattern.test(f.reason))?.[0] as string;
    const canceled = idOf(/was canceled/);
    const refused = idOf(/invalid_request_error/);
    for (const id of [canceled, refused]) retriedIds.add(customIdFor(runId, id, 1));
    const collectQueue = stageQueue('arbiter-collect', { connection: client, prefix: '{arb-fail}' });
    try {
      // The run ends when each failure is recorded, which can be before the sample's own collect job has
      // found it and failed: wait for the three failed jobs (the expiring sample's is its third attempt's).
      const failedJobs = async () => (await collectQueue.getFailed()).filter((j) => j.data.runId === runId);
      await until(async () => (await failedJobs()).length === 3, 'the three failed collect jobs');
      const canceledJob = await collectQueue.getJob(jobIdFor(runId, canceled));
      expect(await canceledJob?.getState()).toBe('failed');
      await canceledJob?.retry('failed');
      // Bull Board's retry runs the job again, which reopens the request and completes (a job that
      // failed on the old answer again would stay failed and time out here).
      await until(
        async () => (await collectQueue.getJobState(jobIdFor(runId, canceled))) === 'completed',
        'the job retried from Bull Board to complete',
      );
      const retried = await retryFailedJobs(
        store,
        { 'arbiter-collect': collectQueue } as unknown as Record<Stage, StageQueue>,
        runId,
        ['arbiter-collect'],
      );
      // gavel retry takes every failed job of the stage: the refused one and the expiring one (which
      // expires again and fails again).
      expect(retried).toEqual({ 'arbiter-collect': 2 });
      await until(
        async () =>
          (await store.getFinalVerdict(runId, canceled)) !== undefined &&
          (await store.getFinalVerdict(runId, refused)) !== undefined &&
          (await store.getFailures(runId)).size === 1,
        'the two retried samples to get their arbiter verdicts, the expiring one to fail again',
      );
    } finally {
      await collectQueue.close();
    }
    expect([...(await store.getFailures(runId)).values()].map((f) => f.reason)).toEqual([
      // A retry is one more attempt (its 4th), not a fresh re-submit budget.
      expect.stringMatching(/expired; gave up after 4 attempts/),
    ]);
    const sentAfter = [...fake.batches.values()].slice(3).flatMap((b) => b.requests.map((r) => r.custom_id));
    // Each retried request went once: a new attempt each, answered.
    for (const id of retriedIds) expect(sentAfter.filter((c) => c === id)).toHaveLength(1);
  });

  it('keeps the cache warm with one heartbeat read while a batch processes, booked as overhead', async () => {
    const runId = 'run-arb-heartbeat';
    const { store, fake } = await runArbiter('arb-hb', runId, () => 'succeeded', 6, 2, {
      env: { GAVEL_ARBITER_HEARTBEAT: 'true' },
      processingMs: 1_500,
    });
    // The priming call, then one heartbeat (the next one is due only at 80% of the 1h TTL).
    expect(fake.counts.messages).toBe(2);
    const heartbeats = [...(await new ArbiterStore(store).ledger(runId)).values()].filter(
      (c) => c.kind === 'heartbeat',
    );
    expect(heartbeats).toHaveLength(1);
    expect(heartbeats[0]?.cache_read_tokens).toBeGreaterThan(0);
    expect(heartbeats[0]?.batch_id).toBe([...fake.batches.keys()][0]);
    const report = await costReport(store, runId);
    expect(report.total.overhead_usd).toBeCloseTo(
      [...(await new ArbiterStore(store).ledger(runId)).values()]
        .filter((c) => c.kind !== 'batch')
        .reduce((s, c) => s + c.usd, 0),
      12,
    );
  });

  it('sends a batch when its window has passed while the judge stage is still running', async () => {
    const runId = 'run-arb-window';
    const { store, routed, fake } = await runArbiter('arb-window', runId, () => 'succeeded', 9, 3, {
      env: { GAVEL_ARBITER_BATCH_WINDOW_S: '1' },
      judgeStillRunning: true,
    });
    const progress = await store.progress(runId);
    expect(progress).toMatchObject({ total: 10, judged: 9, verdicts: 9, arbitrated: 3 });
    // The routed samples waited for each other (one batch), not for the unjudged sample.
    expect([...fake.batches.values()].map((b) => b.requests.length)).toEqual([routed.length]);
  });

  it('drops the intent of a submit that crashed before reaching the API and sends the batch once', async () => {
    const runId = 'run-arb-intent';
    let intentKey = '';
    const { store, fake } = await runArbiter('arb-intent', runId, () => 'succeeded', 6, 2, {
      // What a process that died between writing its intent and creating the batch leaves behind.
      before: async (s, routed) => {
        const customIds = routed.map((id) => customIdFor(runId, id, 0));
        intentKey = intentKeyFor(runId, customIds);
        await new ArbiterStore(s).writeIntent({
          key: intentKey,
          run_id: runId,
          sample_ids: routed,
          custom_ids: customIds,
          attempts: routed.map(() => 0),
          // Long past its create call's deadline (GAVEL_ARBITER_TIMEOUT_S): that call can no longer land.
          at: Date.now() - 10 * 60_000,
          batch_id: null,
        });
      },
    });
    expect((await store.progress(runId)).verdicts).toBe(6);
    expect(fake.counts.lists).toBeGreaterThanOrEqual(1);
    expect(fake.counts.creates).toBe(1);
    const arb = new ArbiterStore(store);
    expect(await arb.openIntents(runId)).toEqual([]);
    expect(await arb.runBatches(runId)).toEqual([...fake.batches.keys()]);
  });
});
