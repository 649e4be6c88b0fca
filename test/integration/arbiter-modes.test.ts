import { createArbiterClients, createArbiterSubmitStage, loadArbiterConfig } from '@gavel/arbiter';
import { silentLogger } from '@gavel/core';
import { addStageJobs, createRedis, RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { seedJudgedRun, until } from './arbiter-fixtures.ts';
import { textRubric } from './judge-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
let vllm: FakeVllm | undefined;
const workers: StageWorker[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close(5_000)));
  await vllm?.stop();
  vllm = undefined;
});
afterAll(async () => {
  client.disconnect();
  workerConnection.disconnect();
  await redis.stop();
});

async function runSubmit(prefix: string, runId: string, env: NodeJS.ProcessEnv) {
  const rubric = await textRubric();
  const store = new RunStore(client, prefix);
  const config = loadArbiterConfig(env);
  const { routed } = await seedJudgedRun(store, rubric, runId, 9, 3, {
    mode: config.mode,
    model: config.mode === 'none' ? null : config.model,
    family: null,
  });
  const queue = { connection: client, prefix: `{${prefix}}` };
  const submitQueue = stageQueue('arbiter-submit', queue);
  const collectQueue = stageQueue('arbiter-collect', queue);
  workers.push(
    startStageWorker({
      stage: 'arbiter-submit',
      queue: { ...queue, connection: workerConnection },
      store,
      concurrency: 4,
      processor: createArbiterSubmitStage({
        config,
        ...createArbiterClients(config),
        rubrics: createRubricCache((key) => store.getRubricText(key)),
        submitQueue,
        collectQueue,
        lockTtlMs: 5_000,
      }),
      logger: silentLogger,
    }),
  );
  await addStageJobs(
    submitQueue,
    routed.map((sampleId) => ({ runId, sampleId })),
  );
  await until(async () => (await store.progress(runId)).ended === 9, 'every sample to end');
  const collectJobs = await collectQueue.getJobCounts();
  await Promise.all([submitQueue.close(), collectQueue.close()]);
  return { store, routed, rubric, collectJobs };
}

describe('the arbiter without the cloud', () => {
  it('openai-compatible: sends the same rubric-first request synchronously to a local model and records its verdict', async () => {
    // The rubric-derived answer: one entry per text-answer criterion.
    const scores = { correctness: 0.1, exactness: 0, faithfulness: 0.5, safety: 1 };
    const arbiterAnswer = {
      pass: false,
      score: 0.1,
      criteria: Object.fromEntries(
        Object.entries(scores).map(([id, score]) => [
          id,
          { score, finding: id === 'correctness' ? 'wrong city' : null },
        ]),
      ),
      rationale: 'The local arbiter disagrees.',
    };
    vllm = await startFakeVllm({ model: 'big-local', policy: () => JSON.stringify(arbiterAnswer) });
    vllm.malformNext(1);
    const { store, routed, rubric, collectJobs } = await runSubmit('arb-oai', 'run-arb-oai', {
      GAVEL_ARBITER: 'openai-compatible',
      GAVEL_ARBITER_MODEL: 'big-local',
      GAVEL_ARBITER_URL: `${vllm.url}/v1`,
    });
    expect(await store.progress('run-arb-oai')).toMatchObject({ verdicts: 9, failed: 0, arbitrated: 3 });
    for (const sampleId of routed) {
      expect(await store.getFinalVerdict('run-arb-oai', sampleId)).toMatchObject({
        pass: false,
        score: 0.1,
        rationale: 'The local arbiter disagrees.',
        criteria: Object.entries(scores).map(([id, score]) => ({
          id,
          score,
          finding: id === 'correctness' ? 'wrong city' : null,
        })),
        source: 'arbiter',
        arbitration: 'done',
        arbiter: { model: 'big-local', batch_id: null, path: 'openai-compatible' },
        judge_verdict: { pass: true, score: 0.52 },
      });
    }
    // The malformed answer was retried, not recorded; every request led with the rubric bytes.
    expect(vllm.completions.length).toBe(routed.length + 1);
    for (const c of vllm.completions) expect(c.messages[0]).toEqual({ role: 'system', content: rubric.text });
    expect((collectJobs.waiting ?? 0) + (collectJobs.delayed ?? 0)).toBe(0);
  });

  it('none: routed samples keep the judge verdict, marked unarbitrated', async () => {
    const { store, routed } = await runSubmit('arb-none', 'run-arb-none', { GAVEL_ARBITER: 'none' });
    for (const sampleId of routed) {
      expect(await store.getFinalVerdict('run-arb-none', sampleId)).toMatchObject({
        source: 'judge',
        pass: true,
        score: 0.52,
        route: 'arbiter',
        arbitration: 'unarbitrated',
        arbiter: null,
      });
    }
    expect(await store.progress('run-arb-none')).toMatchObject({ verdicts: 9, arbitrated: 3 });
  });
});
