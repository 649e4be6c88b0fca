import {
  type ArbiterDeps,
  createArbiterClients,
  createArbiterCollectStage,
  createArbiterSubmitStage,
  loadArbiterConfig,
} from '@gavel/arbiter';
import { silentLogger } from '@gavel/core';
import { createJudgeStage, createLlmGrader, type LlmGrader } from '@gavel/judge';
import { addStageJobs, createRedis, RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBatchesServer, startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { firstPositionPolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { API_KEY, ARBITER_MODEL, until } from './arbiter-fixtures.ts';
import { manifest, settings } from './judge-fixtures.ts';
import { pairCase, pairRubric } from './pair-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
let judgeServer: FakeVllm;
let anthropic: FakeBatchesServer;
let grader: LlmGrader;
const workers: StageWorker[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
  judgeServer = await startFakeVllm({ policy: firstPositionPolicy() });
  grader = await createLlmGrader(settings({ url: judgeServer.url }));
  // The arbiter reads the content: it prefers the output that names Paris (its tool input follows the pair schema).
  anthropic = await startFakeAnthropicBatches({
    apiKey: API_KEY,
    processingMs: 200,
    answer: (params) => {
      const text = typeof params.messages[0]?.content === 'string' ? params.messages[0].content : '';
      const one = /## Output 1\n(.*)\n/.exec(text)?.[1] ?? '';
      const preference = one.startsWith('Paris') ? 'output_1' : 'output_2';
      return {
        preference,
        margin: 0.9,
        criteria: {
          correctness: { preference, finding: 'only one output names Paris' },
          completeness: { preference: 'tie', finding: null },
          clarity: { preference: 'tie', finding: null },
          safety: { preference: 'tie', finding: null },
        },
        rationale: `The arbiter prefers ${preference}.`,
      };
    },
  });
});

afterAll(async () => {
  for (const w of workers) await w.close(5_000);
  await grader.close();
  await judgeServer.stop();
  await anthropic.stop();
  client.disconnect();
  workerConnection.disconnect();
  await redis.stop();
});

describe('a position-inconsistent pair settled by the batch arbiter', () => {
  it('routes every inconsistent pair, asks the arbiter with the pairwise tool behind the cached rubric, and records its side', async () => {
    const runId = 'run-pair-arbiter';
    const rubric = await pairRubric();
    const run = { ...manifest(rubric), run_id: runId };
    run.stages.arbiter = { mode: 'anthropic-batch', model: ARBITER_MODEL, family: 'claude' };
    const store = new RunStore(client, 'gavel');
    const queue = { connection: client, prefix: '{pair-arbiter}' };
    const judgeQueue = stageQueue('judge', queue);
    const submitQueue = stageQueue('arbiter-submit', queue);
    const collectQueue = stageQueue('arbiter-collect', queue);
    await store.createRun(run);
    await store.putRubricText(rubric.ref, rubric.text);
    const cases = Array.from({ length: 4 }, (_, i) => pairCase(i, i % 2 === 0 ? 'b' : 'a'));
    await store.putSamples(
      runId,
      cases.map((c) => c.sample),
    );
    for (const c of cases) await store.putFacts(runId, c.sample.id, c.facts);
    const config = loadArbiterConfig({
      GAVEL_ARBITER: 'anthropic-batch',
      GAVEL_ARBITER_MODEL: ARBITER_MODEL,
      GAVEL_ARBITER_API_KEY: API_KEY,
      GAVEL_ARBITER_URL: anthropic.url,
      GAVEL_ARBITER_POLL_S: '0.2',
      GAVEL_ARBITER_BATCH_WINDOW_S: '1',
    });
    const deps: ArbiterDeps = {
      config,
      ...createArbiterClients(config),
      rubrics: createRubricCache((key) => store.getRubricText(key)),
      submitQueue,
      collectQueue,
      lockTtlMs: 5_000,
    };
    const worker = { ...queue, connection: workerConnection };
    const rubrics = createRubricCache((key) => store.getRubricText(key));
    for (const [stage, processor] of [
      ['judge', createJudgeStage({ grader, rubrics, arbiterSubmit: submitQueue })],
      ['arbiter-submit', createArbiterSubmitStage(deps)],
      ['arbiter-collect', createArbiterCollectStage(deps)],
    ] as const) {
      workers.push(startStageWorker({ stage, queue: worker, store, concurrency: 4, processor, logger: silentLogger }));
    }
    await addStageJobs(
      judgeQueue,
      cases.map((c) => ({ runId, sampleId: c.sample.id })),
    );
    await until(async () => (await store.progress(runId)).verdicts === 4, 'every pair arbitrated');

    for (const [i, c] of cases.entries()) {
      const better = i % 2 === 0 ? 'b' : 'a';
      const verdict = await store.getFinalVerdict(runId, c.sample.id);
      expect(verdict).toMatchObject({
        source: 'arbiter',
        arbitration: 'done',
        route_reasons: ['position_inconsistent'],
      });
      expect(verdict?.pairwise).toMatchObject({ outcome: better, decided_by: 'arbiter', consistent: false });
      // The judge's two readings are kept beside the arbiter's decision.
      expect(verdict?.pairwise?.orders.map((o) => o.preference)).toEqual(['a', 'b']);
      expect(verdict?.pairwise?.criteria.find((x) => x.id === 'correctness')?.outcome).toBe(better);
      expect(verdict?.judge_verdict).toMatchObject({ score: 0.5 });
    }
    const sent = [...anthropic.batches.values()].flatMap((b) => b.requests);
    expect(sent).toHaveLength(4);
    for (const r of sent) {
      const system = r.params.system as { text: string; cache_control?: unknown }[];
      expect(system[0]).toMatchObject({ text: rubric.text, cache_control: { type: 'ephemeral' } });
      const tool = r.params.tools?.[0];
      expect(Object.keys(tool?.input_schema.properties ?? {})).toEqual([
        'preference',
        'margin',
        'criteria',
        'rationale',
      ]);
      const content = r.params.messages[0]?.content as string;
      const sample = cases.find((c) => content.includes(c.sample.prompt))?.sample;
      expect(content.indexOf(`## Output 1\n${sample?.outputs.a}`)).toBeGreaterThan(0);
      expect(content.indexOf(`## Output 2\n${sample?.outputs.b}`)).toBeGreaterThan(content.indexOf('## Output 1'));
    }
    await Promise.all([judgeQueue.close(), submitQueue.close(), collectQueue.close()]);
  });
});
