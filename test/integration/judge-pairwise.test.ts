import { silentLogger } from '@gavel/core';
import { createJudgeStage, createLlmGrader, type LlmGrader } from '@gavel/judge';
import { addStageJobs, createRedis, RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstPositionPolicy, pairPolicy, readPairOutputs } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { manifest, settings } from './judge-fixtures.ts';
import { pairCase, pairRubric } from './pair-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
let server: FakeVllm;
let grader: LlmGrader;
const workers: StageWorker[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
  server = await startFakeVllm();
  // k = 2 on the worker: a pair still gets exactly one request per order.
  grader = await createLlmGrader(settings({ url: server.url, k: 2 }));
});

afterAll(async () => {
  for (const w of workers) await w.close();
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

/** Grades `cases` through a real judge stage worker; returns the store and the arbiter-submit queue. */
async function judgeRun(runId: string, cases: ReturnType<typeof pairCase>[], arbiter: boolean) {
  const rubric = await pairRubric();
  const run = { ...manifest(rubric), run_id: runId };
  if (arbiter) run.stages.arbiter = { mode: 'anthropic-batch', model: 'arbiter-model', family: 'arbiterfam' };
  const store = new RunStore(client, 'gavel');
  const queue = { connection: client, prefix: `{${runId}}` };
  const judgeQueue = stageQueue('judge', queue);
  const arbiterQueue = stageQueue('arbiter-submit', queue);
  await store.createRun(run);
  await store.putRubricText(rubric.ref, rubric.text);
  await store.putSamples(
    runId,
    cases.map((c) => c.sample),
  );
  for (const c of cases) await store.putFacts(runId, c.sample.id, c.facts);
  workers.push(
    startStageWorker({
      stage: 'judge',
      queue: { ...queue, connection: workerConnection },
      store,
      concurrency: 8,
      processor: createJudgeStage({
        grader,
        rubrics: createRubricCache((key) => store.getRubricText(key)),
        arbiterSubmit: arbiterQueue,
      }),
      logger: silentLogger,
    }),
  );
  await addStageJobs(
    judgeQueue,
    cases.map((c) => ({ runId, sampleId: c.sample.id })),
  );
  return { rubric, store, judgeQueue, arbiterQueue };
}

describe('pairwise judging in both orders on a real Redis and BullMQ', () => {
  it('a judge that always prefers the output it sees first: exactly two requests per pair with the outputs swapped, every pair inconsistent and routed, none a win', async () => {
    server.setPolicy(firstPositionPolicy());
    const before = server.completions.length;
    const cases = Array.from({ length: 6 }, (_, i) => pairCase(i, i % 2 === 0 ? 'b' : 'a'));
    const { rubric, store, judgeQueue, arbiterQueue } = await judgeRun('run-pair-bias', cases, true);
    await until(async () => (await store.progress('run-pair-bias')).judged === 6, 'every pair judged');

    const sent = server.completions.slice(before);
    expect(sent).toHaveLength(12);
    for (const c of cases) {
      const mine = sent.filter((r) => r.messages[1]?.content.includes(c.sample.prompt));
      expect(mine).toHaveLength(2);
      const shown = mine.map((r) => readPairOutputs(r.messages[1]?.content ?? ''));
      // One request shows A first, the other B first.
      expect(shown.map((s) => [s.first, s.second]).sort()).toEqual(
        [
          [c.sample.outputs.a, c.sample.outputs.b],
          [c.sample.outputs.b, c.sample.outputs.a],
        ].sort(),
      );
      // Both behind the same rubric prefix, byte for byte.
      for (const r of mine) expect(r.messages[0]?.content).toBe(rubric.text);
      const judgement = await store.getJudgement('run-pair-bias', c.sample.id);
      expect(judgement?.pairwise?.outcome).toBe('inconsistent');
      expect(judgement?.pairwise?.consistent).toBe(false);
      expect(judgement?.pairwise?.orders.map((o) => [o.first, o.preference])).toEqual([
        ['a', 'a'],
        ['b', 'b'],
      ]);
      expect(judgement).toMatchObject({ route: 'arbiter', route_reasons: ['position_inconsistent'], pass: false });
      // Not a win for either side: B's share is exactly one half, and no final verdict was recorded.
      expect(judgement?.score).toBe(0.5);
      expect(await store.getFinalVerdict('run-pair-bias', c.sample.id)).toBeUndefined();
    }
    const routed = (await arbiterQueue.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.data.sampleId);
    expect(routed.sort()).toEqual(cases.map((c) => c.sample.id).sort());
    expect([...server.systemPrefixes.keys()]).toContain(rubric.ref.hash);
    await Promise.all([judgeQueue.close(), arbiterQueue.close()]);
  });

  it('a judge that reads the content: consistent outcomes are final, per-criterion preferences recorded by side, a slight preference routed as low margin', async () => {
    // Prefers the output naming Paris; margin 0.1 for pair 5 only (below the 0.2 default).
    server.setPolicy((request) => {
      const slight = request.messages[1]?.content.includes('Question 5:');
      return pairPolicy(
        (first, second) => (first.startsWith('Paris') ? 'output_1' : second.startsWith('Paris') ? 'output_2' : 'tie'),
        slight ? 0.1 : 0.8,
      )(request);
    });
    const cases = Array.from({ length: 6 }, (_, i) => pairCase(i, i % 2 === 0 ? 'b' : 'a'));
    const { store, judgeQueue, arbiterQueue } = await judgeRun('run-pair-content', cases, false);
    await until(async () => (await store.progress('run-pair-content')).verdicts === 6, 'every pair decided');
    for (const [i, c] of cases.entries()) {
      const verdict = await store.getFinalVerdict('run-pair-content', c.sample.id);
      const better = i % 2 === 0 ? 'b' : 'a';
      expect(verdict?.pairwise).toMatchObject({ outcome: better, consistent: true, decided_by: 'judge' });
      expect(verdict?.pairwise?.criteria.find((x) => x.id === 'correctness')?.outcome).toBe(better);
      expect(verdict?.pairwise?.criteria.find((x) => x.id === 'safety')?.outcome).toBe('tie');
      expect(verdict?.pass).toBe(better === 'b');
      expect(verdict?.score).toBe(better === 'b' ? 1 : 0);
      if (i === 5) {
        // No arbiter on this run: the routed pair keeps the judge's outcome, marked unarbitrated.
        expect(verdict).toMatchObject({ route: 'arbiter', route_reasons: ['low_margin'], arbitration: 'unarbitrated' });
        expect(verdict?.pairwise?.margin).toBeCloseTo(0.1, 10);
      } else {
        expect(verdict).toMatchObject({ route: 'final', route_reasons: [] });
        expect(verdict?.pairwise?.margin).toBeCloseTo(0.8, 10);
      }
    }
    await Promise.all([judgeQueue.close(), arbiterQueue.close()]);
  });

  it('a judge error in one order fails the pair visibly instead of counting it as a tie', async () => {
    server.setPolicy(firstPositionPolicy());
    // Every answer malformed (the server ignored the schema): the re-asks run out, the job fails.
    server.malformNext(6, 'not json at all');
    const cases = [pairCase(10, 'b')];
    const { store, judgeQueue, arbiterQueue } = await judgeRun('run-pair-error', cases, false);
    await until(async () => (await store.progress('run-pair-error')).failed === 1, 'the pair to fail');
    expect(await store.getFinalVerdict('run-pair-error', 'p-10')).toBeUndefined();
    expect(await store.getJudgement('run-pair-error', 'p-10')).toBeUndefined();
    const failures = await store.getFailures('run-pair-error');
    expect(failures.get('p-10')).toMatchObject({ stage: 'judge', code: 'input' });
    expect(failures.get('p-10')?.reason).toMatch(/did not validate/);
    await Promise.all([judgeQueue.close(), arbiterQueue.close()]);
  });
});
