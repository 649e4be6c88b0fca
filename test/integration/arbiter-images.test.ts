import { createHash } from 'node:crypto';
import {
  type ArbiterDeps,
  createArbiterClients,
  createArbiterCollectStage,
  createArbiterSubmitStage,
  loadArbiterConfig,
} from '@gavel/arbiter';
import { type Facts, type PairSample, silentLogger, type Verdict } from '@gavel/core';
import { addStageJob, createRedis, RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBatchesServer, startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { requestImages } from '../fakes/anthropic-messages-model.ts';
import { encodePng } from '../support/png.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { API_KEY, ARBITER_MODEL, until } from './arbiter-fixtures.ts';
import { manifest } from './judge-fixtures.ts';
import { pairRubric } from './pair-fixtures.ts';

const GOOD = encodePng(80, 60, (x) => [x * 3, 90, 200]);
const BAD = encodePng(80, 60, (_x, y) => [220, y * 4, 30]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ref = (b: Buffer) => ({
  type: 'image' as const,
  sha256: sha(b),
  media_type: 'image/png' as const,
  width: 80,
  height: 60,
  bytes: b.length,
});

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
let anthropic: FakeBatchesServer;
const workers: StageWorker[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
  anthropic = await startFakeAnthropicBatches({
    apiKey: API_KEY,
    processingMs: 200,
    // The arbiter looks at the images: it prefers the position that shows the correctly labelled chart.
    answer: (params) => {
      const preference = requestImages(params as never)[0]?.sha256 === sha(GOOD) ? 'output_1' : 'output_2';
      return {
        preference,
        margin: 0.9,
        criteria: {
          correctness: { preference, finding: 'the other output mislabels the y axis' },
          completeness: { preference: 'tie', finding: null },
          clarity: { preference: 'tie', finding: null },
          safety: { preference: 'tie', finding: null },
        },
        rationale: `The ${preference === 'output_1' ? 'first' : 'second'} output labels both axes correctly.`,
      };
    },
  });
});

afterAll(async () => {
  for (const w of workers) await w.close(5_000);
  await anthropic.stop();
  client.disconnect();
  workerConnection.disconnect();
  await redis.stop();
});

describe('an image pair through the Anthropic batch arbiter', () => {
  it('sends base64 image blocks after the cached rubric, the bytes intact, and books the image tokens', async () => {
    const rubric = await pairRubric();
    const runId = 'run-image-arbiter';
    const run = { ...manifest(rubric), run_id: runId };
    run.stages.arbiter = { mode: 'anthropic-batch', model: ARBITER_MODEL, family: 'claude' };
    const store = new RunStore(client, 'gavel');
    await store.createRun(run);
    await store.putRubricText(rubric.ref, rubric.text);
    await store.images.retainForRun(
      runId,
      new Map([
        [sha(GOOD), GOOD],
        [sha(BAD), BAD],
      ]),
    );
    const sample: PairSample = {
      id: 'chart-1',
      kind: 'pair',
      prompt: 'Which chart labels its axes correctly?',
      outputs: { a: [ref(BAD)], b: [ref(GOOD)] },
      systems: { a: { model: 'plot-base', family: 'acme' }, b: { model: 'plot-new', family: 'acme' } },
    };
    const facts: Facts = {
      kind: 'pair',
      pair: {
        a: { chars: 0, words: 0, images: 1, reference: null },
        b: { chars: 0, words: 0, images: 1, reference: null },
      },
      reference: null,
      tests: null,
      ruff: null,
      pyright: null,
      exit_code: null,
      duration_ms: 0,
      timed_out: false,
      oom_killed: false,
      output_truncated: false,
      fabricated_claim: [],
      sandbox: null,
    };
    const order = (first: 'a' | 'b') => ({
      first,
      preference: first,
      margin: 0.9,
      criteria: rubric.criteria.map((c) => ({ id: c.id, preference: first, finding: null })),
      rationale: `prefers what it saw first (${first})`,
    });
    const judgement: Verdict = {
      pass: false,
      score: 0.5,
      rationale: 'inconsistent',
      criteria: [],
      source: 'judge',
      facts_only: false,
      route: 'arbiter',
      route_reasons: ['position_inconsistent'],
      arbitration: 'none',
      flags: ['position_inconsistent'],
      grader: { model: 'judge-model', family: 'judgefam', path: 'vllm' },
      consistency: null,
      arbiter: null,
      judge_verdict: null,
      usage: null,
      pairwise: {
        outcome: 'inconsistent',
        orders: [order('a'), order('b')],
        consistent: false,
        margin: 0,
        criteria: rubric.criteria.map((c) => ({ id: c.id, outcome: 'inconsistent' as const })),
        decided_by: 'judge',
      },
      decided_at: new Date().toISOString(),
    };
    await store.putSamples(runId, [sample]);
    await store.putFacts(runId, sample.id, facts);
    await store.putJudgement(runId, sample.id, judgement);
    const queue = { connection: client, prefix: '{image-arbiter}' };
    const submitQueue = stageQueue('arbiter-submit', queue);
    const collectQueue = stageQueue('arbiter-collect', queue);
    const config = loadArbiterConfig({
      GAVEL_ARBITER: 'anthropic-batch',
      GAVEL_ARBITER_MODEL: ARBITER_MODEL,
      GAVEL_ARBITER_API_KEY: API_KEY,
      GAVEL_ARBITER_URL: anthropic.url,
      GAVEL_ARBITER_POLL_S: '0.2',
      GAVEL_ARBITER_BATCH_WINDOW_S: '0.5',
    });
    const deps: ArbiterDeps = {
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
          concurrency: 2,
          processor,
          logger: silentLogger,
        }),
      );
    }
    await addStageJob(submitQueue, { runId, sampleId: sample.id });
    await until(async () => (await store.progress(runId)).verdicts === 1, 'the pair arbitrated');

    const verdict = await store.getFinalVerdict(runId, sample.id);
    expect(verdict?.pairwise).toMatchObject({ outcome: 'b', decided_by: 'arbiter' });
    expect(verdict?.pairwise?.arbiter_consistent).toBe(true);
    // Two requests, one per order, behind the same cached rubric prefix.
    const requests = [...anthropic.batches.values()].flatMap((b) => b.requests);
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      const system = request.params.system as { text: string; cache_control?: unknown }[];
      expect(system[0]).toMatchObject({ text: rubric.text, cache_control: { type: 'ephemeral' } });
      const blocks = request.params.messages[0]?.content as { type: string; source?: { media_type: string } }[];
      expect(blocks.filter((b) => b.type === 'image').map((b) => b.source?.media_type)).toEqual([
        'image/png',
        'image/png',
      ]);
    }
    // A as output 1 and B as output 2, then the other way round, byte for byte.
    expect(requests.map((r) => requestImages(r.params as never).map((i) => i.sha256))).toEqual([
      [sha(BAD), sha(GOOD)],
      [sha(GOOD), sha(BAD)],
    ]);
    // The verdict books the usage the API returned for both requests, image tokens (2 × 7 each) included.
    const usages = anthropic.usages.filter((u) => u.kind === 'batch').map((u) => u.usage);
    expect(usages).toHaveLength(2);
    expect(verdict?.usage?.input).toBe(usages.reduce((s, u) => s + u.input_tokens, 0));
    for (const u of usages) expect(u.input_tokens).toBeGreaterThan(14);
    await Promise.all([submitQueue.close(), collectQueue.close()]);
  });

  it('the fake refuses what the API refuses: an image over 5 MB of base64, over 8000 px, or not what its media type says', async () => {
    const post = (source: Record<string, unknown>) =>
      fetch(`${anthropic.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({
          model: ARBITER_MODEL,
          max_tokens: 16,
          messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', ...source } }] }],
        }),
      });
    const huge = await post({ media_type: 'image/png', data: 'A'.repeat(5 * 1024 * 1024 + 4) });
    expect(huge.status).toBe(400);
    expect(await huge.text()).toMatch(
      /"messages\.0\.content\.0\.image\.source\.base64: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes"/,
    );
    const wide = await post({ media_type: 'image/png', data: encodePng(8001, 1, () => [0, 0, 0]).toString('base64') });
    expect(wide.status).toBe(400);
    expect(await wide.text()).toMatch(
      /"messages\.0\.content\.0\.image\.source\.base64\.data: At least one of the image dimensions exceed max allowed size: 8000 pixels"/,
    );
    // More than 20 images in one request: 2000 px a side.
    const manyImages = await fetch(`${anthropic.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: ARBITER_MODEL,
        max_tokens: 16,
        messages: [
          {
            role: 'user',
            content: [
              ...Array.from({ length: 20 }, () => ({
                type: 'image',
                source: { type: 'base64', media_type: 'image/png', data: GOOD.toString('base64') },
              })),
              {
                type: 'image',
                source: {
                  type: 'base64',
                  media_type: 'image/png',
                  data: encodePng(2001, 1, () => [0, 0, 0]).toString('base64'),
                },
              },
            ],
          },
        ],
      }),
    });
    expect(manyImages.status).toBe(400);
    expect(await manyImages.text()).toMatch(
      /messages\.0\.content\.20\.image\.source\.base64\.data: At least one of the image dimensions exceed max allowed size for many-image requests: 2000 pixels/,
    );
    const mislabelled = await post({ media_type: 'image/jpeg', data: GOOD.toString('base64') });
    expect(mislabelled.status).toBe(400);
    expect(await mislabelled.text()).toMatch(
      /The image was specified using the image\/jpeg media type, but the image appears to be a image\/png image/,
    );
    const fine = await post({ media_type: 'image/png', data: GOOD.toString('base64') });
    expect(fine.status).toBe(200);
    // The 80×60 image is billed as ceil(80 · 60 / 750) = 7 input tokens (an image block has no text).
    const { usage } = (await fine.json()) as { usage: { input_tokens: number } };
    expect(usage.input_tokens).toBe(7);
  });
});
