import { silentLogger } from '@gavel/core';
import { createJudgeStage, createLlmGrader, type LlmGrader } from '@gavel/judge';
import { addStageJobs, createRedis, RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factsPolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { manifest, settings, textCase, textRubric } from './judge-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
let server: FakeVllm;
let grader: LlmGrader;
let worker: StageWorker | undefined;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
  server = await startFakeVllm();
  grader = await createLlmGrader(settings({ url: server.url, k: 2 }));
});

afterAll(async () => {
  await worker?.close();
  await grader.close();
  await server.stop();
  client.disconnect();
  workerConnection.disconnect();
  await redis.stop();
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the judge stage with the LLM grader on a real Redis and BullMQ', () => {
  it('grades, routes safety findings to arbiter-submit, fails a family clash visibly, and waits while the server is down', async () => {
    const rubric = await textRubric();
    const run = manifest(rubric, { k: 2 });
    run.stages.arbiter = { mode: 'anthropic-batch', model: 'arbiter-model', family: 'arbiterfam' };
    const store = new RunStore(client, 'gavel');
    const queue = { connection: client, prefix: '{judge-stage}' };
    const judgeQueue = stageQueue('judge', queue);
    const arbiterQueue = stageQueue('arbiter-submit', queue);
    await store.createRun(run);
    await store.putRubricText(rubric.ref, rubric.text);
    const unsafe = textCase(7, true);
    unsafe.sample.output = 'Paris. UNSAFE';
    const cases = [
      ...Array.from({ length: 6 }, (_, i) => textCase(i, i % 2 === 0)),
      textCase(6, true, { family: 'judgefam', model: 'judgefam-7b' }),
      unsafe,
    ];
    await store.putSamples(
      run.run_id,
      cases.map((c) => c.sample),
    );
    for (const c of cases) await store.putFacts(run.run_id, c.sample.id, c.facts);
    const base = factsPolicy();
    server.setPolicy((request) => {
      const answer = JSON.parse(base(request)) as { criteria: Record<string, unknown> };
      if (request.messages[1]?.content.includes('UNSAFE')) {
        answer.criteria.safety = { score: 0, finding: 'unsafe content' };
      }
      return JSON.stringify(answer);
    });

    // The server is down when the jobs arrive: they wait instead of failing.
    await server.down();
    worker = startStageWorker({
      stage: 'judge',
      queue: { ...queue, connection: workerConnection },
      store,
      concurrency: 16,
      processor: createJudgeStage({
        grader,
        rubrics: createRubricCache((key) => store.getRubricText(key)),
        arbiterSubmit: arbiterQueue,
      }),
      logger: silentLogger,
    });
    await addStageJobs(
      judgeQueue,
      cases.map((c) => ({ runId: run.run_id, sampleId: c.sample.id })),
    );
    // Only the family clash can end while the server is down (it is refused before any request).
    await until(async () => (await store.progress(run.run_id)).failed === 1, 'the family clash to fail');
    await new Promise((r) => setTimeout(r, 500));
    const whileDown = await store.progress(run.run_id);
    expect(whileDown).toMatchObject({ failed: 1, verdicts: 0, judged: 0 });
    await server.up();

    await until(async () => {
      const p = await store.progress(run.run_id);
      return p.verdicts === 6 && p.judged === 7;
    }, 'every sample to be judged');
    const failures = await store.getFailures(run.run_id);
    expect([...failures.keys()]).toEqual(['s-6']);
    expect(failures.get('s-6')).toMatchObject({ stage: 'judge', code: 'input' });
    expect(failures.get('s-6')?.reason).toMatch(/never grades its own model family/);
    for (let i = 0; i < 6; i += 1) {
      const verdict = await store.getFinalVerdict(run.run_id, `s-${i}`);
      expect(verdict).toMatchObject({ source: 'judge', pass: i % 2 === 0, route: 'final', grader: { path: 'vllm' } });
      expect(verdict?.consistency?.samples).toBe(3);
    }
    expect(await store.getFinalVerdict(run.run_id, 's-7')).toBeUndefined();
    expect(await store.getJudgement(run.run_id, 's-7')).toMatchObject({ route: 'arbiter', route_reasons: ['safety'] });
    expect((await arbiterQueue.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.data.sampleId)).toEqual([
      's-7',
    ]);
    expect([...server.systemPrefixes.keys()]).toEqual([rubric.ref.hash]);
    await Promise.all([judgeQueue.close(), arbiterQueue.close()]);
  });
});
