import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ArbiterStore, costReport } from '@gavel/arbiter';
import { addStageJobs, createRedis, RunStore, stageQueue } from '@gavel/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { API_KEY, ARBITER_MODEL, mixedOutcome, seedJudgedRun, until } from '../integration/arbiter-fixtures.ts';
import { textRubric } from '../integration/judge-fixtures.ts';
import { SOURCE_NODE_ARGS } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

const ROOT = join(import.meta.dirname, '..', '..');
let redis: RedisServer;
let client: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = createRedis(redis.url, { role: 'client' });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  client.disconnect();
  await redis.stop();
});

/** A real worker process: `node --conditions=@gavel/source --import tsx apps/worker-arbiter-<stage>/src/main.ts`. */
function startWorker(
  stage: 'submit' | 'collect',
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [...SOURCE_NODE_ARGS, join(ROOT, `apps/worker-arbiter-${stage}/src/main.ts`)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  return { child, output: () => output };
}

describe('arbiter worker processes against the Batches fake', () => {
  it('ends every sample with one verdict with the submit worker SIGKILLed right after submit and the collect worker SIGKILLed mid-poll', async () => {
    const runId = 'run-arb-e2e';
    const prefix = 'arbe2e';
    let submitWorker: ReturnType<typeof startWorker> | undefined;
    let collectWorker: ReturnType<typeof startWorker> | undefined;
    const killed: string[] = [];
    const fake = await startFakeAnthropicBatches({
      apiKey: API_KEY,
      processingMs: 1_500,
      // The create answers late: the worker dies after the batch exists and before it learns its id.
      createDelayMs: 1_000,
      outcome: mixedOutcome,
      onCreate: () => {
        if (killed.includes('submit') || !submitWorker) return;
        killed.push('submit');
        submitWorker.child.kill('SIGKILL');
      },
      onRetrieve: () => {
        if (killed.includes('collect') || !collectWorker) return;
        killed.push('collect');
        collectWorker.child.kill('SIGKILL');
      },
    });
    const rubric = await textRubric();
    const store = new RunStore(client, prefix);
    const { routed } = await seedJudgedRun(store, rubric, runId, 30, 3);
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_QUEUE_PREFIX: `{${prefix}}`,
      GAVEL_STORE_PREFIX: prefix,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_LOCK_DURATION_MS: '2000',
      GAVEL_STALLED_INTERVAL_MS: '1000',
      GAVEL_ARBITER: 'anthropic-batch',
      GAVEL_ARBITER_MODEL: ARBITER_MODEL,
      GAVEL_ARBITER_URL: fake.url,
      GAVEL_ARBITER_API_KEY: API_KEY,
      GAVEL_ARBITER_POLL_S: '0.3',
      GAVEL_ARBITER_BATCH_WINDOW_S: '30',
    };
    const submitQueue = stageQueue('arbiter-submit', { connection: client, prefix: `{${prefix}}` });
    submitWorker = startWorker('submit', env);
    collectWorker = startWorker('collect', env);
    await addStageJobs(
      submitQueue,
      routed.map((sampleId) => ({ runId, sampleId })),
    );

    const first = submitWorker;
    await until(
      async () => first.child.signalCode === 'SIGKILL',
      'the submit worker to be killed after submit',
      30_000,
    );
    // The batch exists at the API; no batch id was persisted.
    expect(fake.counts.creates).toBe(1);
    const arb = new ArbiterStore(store);
    expect(await arb.runBatches(runId)).toEqual([]);
    expect(await arb.openIntents(runId)).toHaveLength(1);
    submitWorker = startWorker('submit', env);

    const firstCollect = collectWorker;
    await until(
      async () => firstCollect.child.signalCode === 'SIGKILL',
      'the collect worker to be killed mid-poll',
      30_000,
    );
    collectWorker = startWorker('collect', env);

    await until(async () => (await store.progress(runId)).ended === 30, 'every sample to end', 90_000).catch((e) => {
      console.log(submitWorker?.output(), collectWorker?.output());
      throw e;
    });
    const progress = await store.progress(runId);
    expect(progress).toMatchObject({ total: 30, verdicts: 30, failed: 0, routed: 10, arbitrated: 10 });
    expect(killed).toEqual(['submit', 'collect']);

    // The killed submit was adopted, not sent again: every request went out exactly once.
    const batches = [...fake.batches.values()];
    const customIds = batches.flatMap((b) => b.requests.map((r) => r.custom_id));
    expect(new Set(customIds).size).toBe(customIds.length);
    expect(new Set(await arb.runBatches(runId))).toEqual(new Set(batches.map((b) => b.id)));
    expect(await arb.openIntents(runId)).toEqual([]);
    // The first batch ended with a mix. The adopted batch's results were read twice: once to check
    // its custom_ids are the intent's before adopting it, once to collect; every other batch once.
    const types = batches.flatMap((b) => (b.results ?? []).map((r) => r.result.type));
    expect(new Set(types)).toEqual(new Set(['succeeded', 'errored', 'expired']));
    const [adopted, ...later] = batches;
    expect(fake.resultReads.get(adopted?.id ?? '')).toBe(2);
    for (const b of later) expect(fake.resultReads.get(b.id)).toBe(1);
    for (const sampleId of routed) {
      const verdict = await store.getFinalVerdict(runId, sampleId);
      expect(verdict).toMatchObject({ source: 'arbiter', arbitration: 'done', arbiter: { model: ARBITER_MODEL } });
      expect(batches.map((b) => b.id)).toContain(verdict?.arbiter?.batch_id);
    }

    const report = await costReport(store, runId);
    expect(report.total.requests).toBe(10);
    expect(report.batches.map((b) => b.batch_id).sort()).toEqual(
      batches
        .filter((b) => b.results?.some((r) => r.result.type === 'succeeded'))
        .map((b) => b.id)
        .sort(),
    );
    expect(report.total.paid_share).toBeLessThan(0.5);
    expect(report.total.prefix_share).toBeCloseTo(0.05, 6);
    console.log(JSON.stringify({ figure: 'arbiter_cost_e2e', batches: batches.length, ...report.total }));
    await submitQueue.close();
    await fake.stop();
  });

  it('a submit worker whose key the API refuses (403) exits 78 with one line, every job back in the queue and no sample failed', async () => {
    const runId = 'run-arb-403';
    const prefix = 'arbe2e403';
    const fake = await startFakeAnthropicBatches({ apiKey: API_KEY, forbiddenKeys: ['sk-ant-read-only'] });
    const store = new RunStore(client, prefix);
    const { routed } = await seedJudgedRun(store, await textRubric(), runId, 9, 3);
    const submitQueue = stageQueue('arbiter-submit', { connection: client, prefix: `{${prefix}}` });
    await addStageJobs(
      submitQueue,
      routed.map((sampleId) => ({ runId, sampleId })),
    );
    const worker = startWorker('submit', {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_QUEUE_PREFIX: `{${prefix}}`,
      GAVEL_STORE_PREFIX: prefix,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_ARBITER: 'anthropic-batch',
      GAVEL_ARBITER_MODEL: ARBITER_MODEL,
      GAVEL_ARBITER_URL: fake.url,
      GAVEL_ARBITER_API_KEY: 'sk-ant-read-only',
      GAVEL_ARBITER_BATCH_WINDOW_S: '1',
    });
    const code = await new Promise<number | null>((resolve) => worker.child.once('exit', (c) => resolve(c)));
    expect(code).toBe(78);
    expect(worker.output()).toMatch(/HTTP 403/);
    expect(worker.output()).not.toContain('sk-ant-read-only');
    expect((await store.getFailures(runId)).size).toBe(0);
    const counts = await submitQueue.getJobCounts('failed', 'completed', 'waiting', 'delayed', 'prioritized', 'active');
    expect(counts.failed).toBe(0);
    expect(counts.completed).toBe(0);
    expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0)).toBe(routed.length);
    await submitQueue.close();
    await fake.stop();
  });
});
