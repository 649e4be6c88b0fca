import {
  type ArbiterDeps,
  ArbiterStore,
  createArbiterClients,
  createArbiterCollectStage,
  createArbiterPromMetrics,
  createArbiterSubmitStage,
  loadArbiterConfig,
} from '@gavel/arbiter';
import { silentLogger } from '@gavel/core';
import { createJudgeStage, createLlmGrader, type LlmGrader } from '@gavel/judge';
import { addStageJobs, createRedis, RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { pairwiseSummary } from '@gavel/report';
import { createRubricCache } from '@gavel/rubric';
import { exportRecord } from '@gavel/runs';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeBatchesServer,
  type FakeOutcome,
  startFakeAnthropicBatches,
} from '../fakes/anthropic-batches-server.ts';
import type { Params } from '../fakes/anthropic-messages-model.ts';
import { firstPositionPolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { API_KEY, ARBITER_MODEL, until } from './arbiter-fixtures.ts';
import { manifest, settings } from './judge-fixtures.ts';
import { pairCase, pairRubric, type TextPairSample } from './pair-fixtures.ts';

// Contested pairs settled by the batch arbiter, which is asked each pair in both orders too: two
// requests per pair behind the same cached rubric prefix, the outputs swapped, settled only when its
// two answers agree. The judge here always prefers the output it sees first, so every pair is
// position-inconsistent and routed.

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
let judgeServer: FakeVllm;
let anthropic: FakeBatchesServer;
let grader: LlmGrader;
const workers: StageWorker[] = [];
let arbiterOutcome: (request: { index: number; seen: number }) => FakeOutcome = () => 'succeeded';
let arbiterAnswer: (params: Params, info: { where: 'batch' | 'message' }) => unknown = () => ({});

const textOf = (params: Params) => (typeof params.messages[0]?.content === 'string' ? params.messages[0].content : '');
const output = (text: string, n: 1 | 2) => new RegExp(`## Output ${n}\\n(.*)\\n`).exec(text)?.[1] ?? '';

function answerPreferring(preference: 'output_1' | 'output_2') {
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
}

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
  judgeServer = await startFakeVllm({ policy: firstPositionPolicy() });
  grader = await createLlmGrader(settings({ url: judgeServer.url }));
  anthropic = await startFakeAnthropicBatches({
    apiKey: API_KEY,
    processingMs: 200,
    answer: (params, info) => arbiterAnswer(params, info),
    outcome: (request) => arbiterOutcome(request),
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

/** Judges and arbitrates `cases` as run `runId` (judge, arbiter-submit and arbiter-collect workers). */
async function arbitrate(
  runId: string,
  cases: { sample: TextPairSample; facts: Parameters<RunStore['putFacts']>[2] }[],
  arbiterEnv: Record<string, string> = {
    GAVEL_ARBITER: 'anthropic-batch',
    GAVEL_ARBITER_MODEL: ARBITER_MODEL,
    GAVEL_ARBITER_API_KEY: API_KEY,
    GAVEL_ARBITER_URL: anthropic.url,
  },
) {
  const rubric = await pairRubric();
  const run = { ...manifest(rubric), run_id: runId };
  const mode = arbiterEnv.GAVEL_ARBITER as 'anthropic-batch' | 'openai-compatible';
  run.stages.arbiter = { mode, model: arbiterEnv.GAVEL_ARBITER_MODEL ?? '', family: 'claude' };
  const store = new RunStore(client, 'gavel');
  const queue = { connection: client, prefix: `{${runId}}` };
  const judgeQueue = stageQueue('judge', queue);
  const submitQueue = stageQueue('arbiter-submit', queue);
  const collectQueue = stageQueue('arbiter-collect', queue);
  await store.createRun(run);
  await store.putRubricText(rubric.ref, rubric.text);
  await store.putSamples(
    runId,
    cases.map((c) => c.sample),
  );
  for (const c of cases) await store.putFacts(runId, c.sample.id, c.facts);
  const config = loadArbiterConfig({
    ...arbiterEnv,
    GAVEL_ARBITER_POLL_S: '0.2',
    GAVEL_ARBITER_BATCH_WINDOW_S: '1',
  });
  const registry = new Registry();
  const deps: ArbiterDeps = {
    config,
    metrics: createArbiterPromMetrics(registry),
    ...createArbiterClients(config),
    rubrics: createRubricCache((key) => store.getRubricText(key)),
    submitQueue,
    collectQueue,
    lockTtlMs: 5_000,
  };
  const worker = { ...queue, connection: workerConnection };
  const rubrics = createRubricCache((key) => store.getRubricText(key));
  const started: StageWorker[] = [];
  for (const [stage, processor] of [
    ['judge', createJudgeStage({ grader, rubrics, arbiterSubmit: submitQueue })],
    ['arbiter-submit', createArbiterSubmitStage(deps)],
    ['arbiter-collect', createArbiterCollectStage(deps)],
  ] as const) {
    started.push(startStageWorker({ stage, queue: worker, store, concurrency: 4, processor, logger: silentLogger }));
  }
  workers.push(...started);
  const batchesBefore = new Set(anthropic.batches.keys());
  await addStageJobs(
    judgeQueue,
    cases.map((c) => ({ runId, sampleId: c.sample.id })),
  );
  await until(async () => (await store.progress(runId)).verdicts === cases.length, 'every pair arbitrated');
  for (const w of started) await w.close(5_000);
  await Promise.all([judgeQueue.close(), submitQueue.close(), collectQueue.close()]);
  const batches = [...anthropic.batches.entries()].filter(([id]) => !batchesBefore.has(id)).map(([, b]) => b);
  return { rubric, run, store, batches, sent: batches.flatMap((b) => b.requests), metrics: () => registry.metrics() };
}

describe('the batch arbiter on contested pairs, in both orders', () => {
  it('asks each pair twice behind the cached rubric, the outputs swapped; a content-reading arbiter agrees with itself and settles the side', async () => {
    // The arbiter reads the content: it prefers whichever output names Paris, wherever it stands.
    arbiterAnswer = (params) =>
      answerPreferring(output(textOf(params), 1).startsWith('Paris') ? 'output_1' : 'output_2');
    const cases = Array.from({ length: 4 }, (_, i) => pairCase(i, i % 2 === 0 ? 'b' : 'a'));
    const { rubric, store, sent, metrics } = await arbitrate('run-pair-arbiter', cases);
    expect(await metrics()).toContain(`gavel_arbiter_pairs_total{model="${ARBITER_MODEL}",consistent="true"} 4`);

    for (const [i, c] of cases.entries()) {
      const better = i % 2 === 0 ? 'b' : 'a';
      const verdict = await store.getFinalVerdict('run-pair-arbiter', c.sample.id);
      expect(verdict).toMatchObject({
        source: 'arbiter',
        arbitration: 'done',
        route_reasons: ['position_inconsistent'],
        pass: better === 'b',
        score: better === 'b' ? 1 : 0,
      });
      expect(verdict?.pairwise).toMatchObject({
        outcome: better,
        decided_by: 'arbiter',
        consistent: false,
        arbiter_consistent: true,
      });
      // The judge's two readings are kept beside the arbiter's two.
      expect(verdict?.pairwise?.orders.map((o) => o.preference)).toEqual(['a', 'b']);
      expect(verdict?.pairwise?.arbiter_orders?.map((o) => [o.first, o.preference])).toEqual([
        ['a', better],
        ['b', better],
      ]);
      expect(verdict?.pairwise?.criteria.find((x) => x.id === 'correctness')?.outcome).toBe(better);
      expect(verdict?.judge_verdict).toMatchObject({ score: 0.5 });
    }
    // Exactly two requests per pair, distinct custom_ids, the same tools and system (the cached prefix) first.
    expect(sent).toHaveLength(8);
    expect(new Set(sent.map((r) => r.custom_id)).size).toBe(8);
    for (const r of sent) {
      expect(r.params.tools).toEqual(sent[0]?.params.tools);
      expect(r.params.system).toEqual(sent[0]?.params.system);
      const system = r.params.system as { text: string; cache_control?: unknown }[];
      expect(system[0]).toMatchObject({ text: rubric.text, cache_control: { type: 'ephemeral' } });
      expect(Object.keys(r.params.tools?.[0]?.input_schema.properties ?? {})).toEqual([
        'preference',
        'margin',
        'criteria',
        'rationale',
      ]);
    }
    for (const c of cases) {
      const mine = sent.map((r) => textOf(r.params)).filter((t) => t.includes(c.sample.prompt));
      expect(mine.map((t) => [output(t, 1), output(t, 2)])).toEqual([
        [c.sample.outputs.a, c.sample.outputs.b],
        [c.sample.outputs.b, c.sample.outputs.a],
      ]);
    }
  });

  it('an arbiter that always prefers the first position: every pair inconsistent at the arbiter, both answers kept, none a win; each request booked from its own usage', async () => {
    arbiterAnswer = () => answerPreferring('output_1');
    const runId = 'run-pair-arbiter-first';
    const cases = Array.from({ length: 6 }, (_, i) => pairCase(10 + i, i % 2 === 0 ? 'b' : 'a'));
    const { run, store, batches, sent, metrics } = await arbitrate(runId, cases);
    expect(sent).toHaveLength(12);
    const text = await metrics();
    expect(text).toContain(`gavel_arbiter_pairs_total{model="${ARBITER_MODEL}",consistent="false"} 6`);
    expect(text).not.toContain('consistent="true"');

    const records = [];
    for (const c of cases) {
      const verdict = await store.getFinalVerdict(runId, c.sample.id);
      expect(verdict).toMatchObject({ source: 'arbiter', pass: false, score: 0.5 });
      expect(verdict?.flags).toContain('arbiter_position_inconsistent');
      expect(verdict?.pairwise).toMatchObject({
        outcome: 'inconsistent',
        decided_by: 'arbiter',
        arbiter_consistent: false,
      });
      // Shown A first it said A; shown B first it said B: the position, not the content.
      expect(verdict?.pairwise?.arbiter_orders?.map((o) => [o.first, o.preference])).toEqual([
        ['a', 'a'],
        ['b', 'b'],
      ]);
      expect(verdict?.rationale).toMatch(/^Arbiter, both orders: inconsistent/);
      records.push(
        exportRecord(run, new Map(), {
          id: c.sample.id,
          sample: c.sample,
          facts: c.facts,
          ...(verdict ? { verdict } : {}),
        }),
      );
    }
    const summary = pairwiseSummary(records, { seed: 1 });
    expect(summary?.outcomes).toEqual({ a: 0, b: 0, tie: 0, inconsistent: 6 });
    expect(summary?.arbiter_position_consistency).toEqual({ asked: 6, consistent: 0, rate: 0 });
    expect(summary?.win_rates[0]).toMatchObject({ decided: 0, wins_a: 0, wins_b: 0, ties: 0, inconsistent: 6 });

    // One ledger entry per request, its tokens those of that request's own result.
    const ledger = await new ArbiterStore(store).ledger(runId);
    for (const batch of batches) {
      for (const line of batch.results ?? []) {
        expect(line.result.type).toBe('succeeded');
        const usage = (line.result as unknown as { message: { usage: Record<string, number> } }).message.usage;
        expect(ledger.get(line.custom_id)).toMatchObject({
          kind: 'batch',
          input_tokens: usage.input_tokens,
          output_tokens: usage.output_tokens,
          cache_read_tokens: usage.cache_read_input_tokens ?? 0,
        });
      }
    }
    expect([...ledger.keys()].filter((k) => sent.some((r) => r.custom_id === k))).toHaveLength(12);
  });

  it('the synchronous openai-compatible arbiter asks both orders too: a first-position local model leaves every pair inconsistent', async () => {
    const local = await startFakeVllm({
      model: 'big-local',
      policy: () => JSON.stringify(answerPreferring('output_1')),
    });
    try {
      const runId = 'run-pair-arbiter-sync';
      const cases = Array.from({ length: 3 }, (_, i) => pairCase(20 + i, 'b'));
      const { store } = await arbitrate(runId, cases, {
        GAVEL_ARBITER: 'openai-compatible',
        GAVEL_ARBITER_MODEL: 'big-local',
        GAVEL_ARBITER_URL: `${local.url}/v1`,
      });
      expect(local.counts.completions).toBe(6);
      for (const c of cases) {
        const verdict = await store.getFinalVerdict(runId, c.sample.id);
        expect(verdict).toMatchObject({ source: 'arbiter', pass: false, arbiter: { path: 'openai-compatible' } });
        expect(verdict?.pairwise).toMatchObject({ outcome: 'inconsistent', arbiter_consistent: false });
        const mine = local.completions
          .map((r) => (r.messages.at(-1)?.content ?? '') as string)
          .filter((t) => t.includes(c.sample.prompt));
        expect(mine.map((t) => [output(t, 1), output(t, 2)])).toEqual([
          [c.sample.outputs.a, c.sample.outputs.b],
          [c.sample.outputs.b, c.sample.outputs.a],
        ]);
      }
    } finally {
      await local.stop();
    }
  });

  it('an order whose batch answer does not validate is asked again alone; the pair then settles on both orders', async () => {
    // Every pair here has B right; the B-first order (Paris shown first) answers without a margin in the batch.
    arbiterAnswer = (params, info) => {
      const first = output(textOf(params), 1);
      if (info.where === 'batch' && first.startsWith('Paris')) return { preference: 'output_1' };
      return answerPreferring(first.startsWith('Paris') ? 'output_1' : 'output_2');
    };
    const messagesBefore = anthropic.counts.messages;
    const runId = 'run-pair-arbiter-reask';
    const cases = Array.from({ length: 2 }, (_, i) => pairCase(30 + i, 'b'));
    const { store, sent } = await arbitrate(runId, cases);
    expect(sent).toHaveLength(4);
    // One re-ask per pair, for its B-first order only (on demand, not in a batch).
    expect(anthropic.counts.messages - messagesBefore).toBe(2);
    const ledger = await new ArbiterStore(store).ledger(runId);
    for (const c of cases) {
      const verdict = await store.getFinalVerdict(runId, c.sample.id);
      expect(verdict?.pairwise).toMatchObject({ outcome: 'b', arbiter_consistent: true });
      const bFirst = verdict?.pairwise?.arbiter_orders?.[1]?.custom_id ?? '';
      expect(ledger.get(`${bFirst}:reask`)).toMatchObject({ kind: 'sync' });
      expect(ledger.get(bFirst)).toMatchObject({ kind: 'batch' });
    }
  });

  it('an order that errors sends both orders again in a later batch; the succeeded one of the first batch is still booked', async () => {
    arbiterAnswer = (params) =>
      answerPreferring(output(textOf(params), 1).startsWith('Paris') ? 'output_1' : 'output_2');
    // Requests go A first, B first per pair: the A-first one (even index) errors the first time its body is
    // seen, so the pair is sent again before the B-first answer of the same batch is read.
    arbiterOutcome = ({ index, seen }) => (index % 2 === 0 && seen === 0 ? 'errored' : 'succeeded');
    try {
      const runId = 'run-pair-arbiter-errored';
      const cases = [pairCase(40, 'a')];
      const { store, batches } = await arbitrate(runId, cases);
      expect(batches).toHaveLength(2);
      expect(batches.map((b) => b.requests.length)).toEqual([2, 2]);
      const verdict = await store.getFinalVerdict(runId, cases[0]?.sample.id ?? '');
      expect(verdict?.pairwise).toMatchObject({ outcome: 'a', arbiter_consistent: true });
      const ledger = await new ArbiterStore(store).ledger(runId);
      const [first, second] = batches;
      // Booked: the first batch's B-first answer (read after its pair was sent again: paid for all the
      // same) and both answers of the second batch; the errored request cost nothing.
      for (const id of [first?.requests[1]?.custom_id, ...(second?.requests.map((r) => r.custom_id) ?? [])])
        expect(ledger.get(id ?? '')).toMatchObject({ kind: 'batch' });
      expect(ledger.has(first?.requests[0]?.custom_id ?? '')).toBe(false);
    } finally {
      arbiterOutcome = () => 'succeeded';
    }
  });
});
