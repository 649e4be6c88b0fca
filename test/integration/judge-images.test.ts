import { createHash } from 'node:crypto';
import { type Facts, type PairSample, type StoredImage, silentLogger } from '@gavel/core';
import { createJudgeStage, createLlmGrader, type LlmGrader } from '@gavel/judge';
import { addStageJobs, createRedis, RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageMarker, sniffImage } from '../fakes/fake-images.ts';
import { pairPolicy } from '../fakes/fake-judge-policy.ts';
import { startFakeOllama } from '../fakes/ollama-server.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { encodePng } from '../support/png.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { manifest, settings } from './judge-fixtures.ts';
import { pairRubric } from './pair-fixtures.ts';

const GOOD = encodePng(40, 30, (x) => [x * 6, 90, 200]);
const BAD = encodePng(40, 30, (_x, y) => [220, y * 8, 30]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ref = (b: Buffer): StoredImage => ({
  type: 'image',
  sha256: sha(b),
  media_type: 'image/png',
  width: 40,
  height: 30,
  bytes: b.length,
});

/** An image pair: A shows the mislabelled chart, B the right one. */
function imagePair(id: string): { sample: PairSample; facts: Facts } {
  const side = { chars: 10, words: 2, images: 1, reference: null };
  return {
    sample: {
      id,
      kind: 'pair',
      task_id: id,
      prompt: [{ type: 'text', text: 'Which chart of monthly revenue labels its axes correctly?' }],
      outputs: { a: [{ type: 'text', text: 'Chart:' }, ref(BAD)], b: [{ type: 'text', text: 'Chart:' }, ref(GOOD)] },
      systems: { a: { model: 'plot-base', family: 'acme' }, b: { model: 'plot-new', family: 'acme' } },
    },
    facts: {
      kind: 'pair',
      pair: { a: side, b: side },
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
    },
  };
}

/** A vision judge that sees which chart is which: it prefers the output showing the right one. */
const visionPolicy = pairPolicy((first, second) => {
  const good = imageMarker(sniffImage(GOOD));
  return first.includes(good) ? 'output_1' : second.includes(good) ? 'output_2' : 'tie';
});

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
let vllm: FakeVllm;
let grader: LlmGrader;
let worker: StageWorker | undefined;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
  vllm = await startFakeVllm({ vision: true, imageLimit: 2, policy: visionPolicy });
  grader = await createLlmGrader(settings({ url: vllm.url, vision: true }));
});

afterAll(async () => {
  await worker?.close();
  await grader.close();
  await vllm.stop();
  client.disconnect();
  workerConnection.disconnect();
  await redis.stop();
});

describe('image pairs on each backend wire', () => {
  it('vLLM: both orders carry both images as image_url data URLs, bytes intact, in opposite positions', async () => {
    const rubric = await pairRubric();
    const run = { ...manifest(rubric), run_id: 'run-image-pairs' };
    const store = new RunStore(client, 'gavel');
    const queue = { connection: client, prefix: '{image-pairs}' };
    const judgeQueue = stageQueue('judge', queue);
    const arbiterQueue = stageQueue('arbiter-submit', queue);
    await store.createRun(run);
    await store.putRubricText(rubric.ref, rubric.text);
    await store.images.retainForRun(
      run.run_id,
      new Map([
        [sha(GOOD), GOOD],
        [sha(BAD), BAD],
      ]),
    );
    const cases = [imagePair('img-1'), imagePair('img-2')];
    await store.putSamples(
      run.run_id,
      cases.map((c) => c.sample),
    );
    for (const c of cases) await store.putFacts(run.run_id, c.sample.id, c.facts);
    worker = startStageWorker({
      stage: 'judge',
      queue: { ...queue, connection: workerConnection },
      store,
      concurrency: 4,
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
    const deadline = Date.now() + 30_000;
    while ((await store.progress(run.run_id)).verdicts < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));

    // Two requests per pair (the start-up vision check sent one more, with its own 1×1 image).
    const judged = vllm.completions.filter((c) => c.images.length === 2);
    expect(judged).toHaveLength(4);
    const orders = judged.map((c) => c.images.map((i) => i.sha256));
    // Each request: the two charts, byte for byte, A's first in one order and B's first in the other.
    expect(orders.filter((o) => o[0] === sha(BAD) && o[1] === sha(GOOD))).toHaveLength(2);
    expect(orders.filter((o) => o[0] === sha(GOOD) && o[1] === sha(BAD))).toHaveLength(2);
    for (const c of judged) {
      const parts = (c.body.messages as { content: unknown }[])[1]?.content as {
        type: string;
        image_url?: { url: string };
      }[];
      const urls = parts.filter((p) => p.type === 'image_url').map((p) => p.image_url?.url ?? '');
      expect(urls.every((u) => u.startsWith('data:image/png;base64,'))).toBe(true);
      // The rubric, byte for byte, is still the whole first message.
      expect((c.body.messages as { content: unknown }[])[0]?.content).toBe(rubric.text);
      // Image tokens are in the prompt count the server returned (2 images × 2 × 2 patches of 28 px).
      expect(c.promptTokens).toBeGreaterThan(8);
    }
    for (const c of cases) {
      const verdict = await store.getFinalVerdict(run.run_id, c.sample.id);
      expect(verdict?.pairwise).toMatchObject({ outcome: 'b', consistent: true });
    }
    await Promise.all([judgeQueue.close(), arbiterQueue.close()]);
  });

  it('vLLM: a text-only model is refused at start-up; a worker not started for images stops on an image pair', async () => {
    const textOnly = await startFakeVllm({ vision: false });
    try {
      await expect(createLlmGrader(settings({ url: textOnly.url, vision: true }))).rejects.toThrow(
        /does not accept images \(400 judge-model is not a multimodal model\).*--limit-mm-per-prompt/,
      );
      // vLLM's own words for too many images (BaseProcessingInfo.validate_num_items), HTTP 400.
      const twoImages = await fetch(`${vllm.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'judge-model',
          messages: [
            {
              role: 'user',
              content: [0, 1, 2].map(() => ({
                type: 'image_url',
                image_url: { url: `data:image/png;base64,${GOOD.toString('base64')}` },
              })),
            },
          ],
        }),
      });
      expect(twoImages.status).toBe(400);
      expect(((await twoImages.json()) as { error: { message: string } }).error.message).toBe(
        'At most 2 image(s) may be provided in one prompt. Set `--limit-mm-per-prompt` to increase this limit.',
      );
      const plain = await createLlmGrader(settings({ url: textOnly.url }));
      const rubric = await pairRubric();
      const { sample, facts } = imagePair('img-x');
      await expect(
        plain.grade(
          {
            sample,
            facts,
            rubric,
            manifest: manifest(rubric),
            images: new Map([
              [sha(GOOD), GOOD],
              [sha(BAD), BAD],
            ]),
          },
          AbortSignal.timeout(10_000),
        ),
      ).rejects.toThrow(/shows images, and this judge worker was not started for images: .*GAVEL_JUDGE_VISION=1/);
      await plain.close();
    } finally {
      await textOnly.stop();
    }
  });

  it('Ollama: images go as raw base64 on the message, bytes intact; the fake refuses GIF and http URLs on /v1 as Ollama does', async () => {
    const ollama = await startFakeOllama({
      models: [{ name: 'vision-judge:latest', vision: true }],
      defaultContext: 16_384,
      policy: visionPolicy,
    });
    try {
      const og = await createLlmGrader(
        settings({ url: ollama.url, mode: 'ollama', model: 'vision-judge:latest', vision: true, contextTokens: 8192 }),
      );
      const rubric = await pairRubric();
      const { sample, facts } = imagePair('img-o');
      const verdict = await og.grade(
        {
          sample,
          facts,
          rubric,
          manifest: manifest(rubric, { mode: 'ollama', model: 'vision-judge:latest' }),
          images: new Map([
            [sha(GOOD), GOOD],
            [sha(BAD), BAD],
          ]),
        },
        AbortSignal.timeout(10_000),
      );
      await og.close();
      expect(verdict.pairwise).toMatchObject({ outcome: 'b', consistent: true });
      const chats = ollama.chats.filter((c) => c.path === '/api/chat' && c.images.length > 0);
      expect(chats).toHaveLength(2);
      for (const c of chats) {
        const user = (c.body.messages as { content: string; images?: string[] }[])[1];
        expect(user?.images?.every((b) => !b.startsWith('data:'))).toBe(true);
        expect(user?.content).toMatch(/<output_1>\n[\s\S]*\[image 1\][\s\S]*<output_2>\n[\s\S]*\[image 2\]/);
      }
      expect(chats.map((c) => c.images.map((i) => i.sha256)).sort()).toEqual(
        [
          [sha(BAD), sha(GOOD)],
          [sha(GOOD), sha(BAD)],
        ].sort(),
      );

      // Ollama's own words and statuses (sources cited in test/fakes/fake-images.ts).
      const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1').toString('base64');
      const native = (images: unknown[]) =>
        fetch(`${ollama.url}/api/chat`, {
          method: 'POST',
          body: JSON.stringify({
            model: 'vision-judge:latest',
            stream: false,
            messages: [{ role: 'user', content: 'what is this? [image 1]', images }],
          }),
        });
      // A GIF: no registered decoder reads it; the engine fails the sequence, HTTP 500.
      const gifReply = await native([gif]);
      expect(gifReply.status).toBe(500);
      expect(await gifReply.json()).toEqual({ error: 'Failed to create new sequence: image: unknown format' });
      // A data: URL where raw base64 belongs: Go's JSON decoder stops at the ':' (byte 4), HTTP 400.
      const prefixed = await native([`data:image/png;base64,${GOOD.toString('base64')}`]);
      expect(prefixed.status).toBe(400);
      expect(await prefixed.json()).toEqual({ error: 'illegal base64 data at input byte 4' });
      const v1 = (url: string) =>
        fetch(`${ollama.url}/v1/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({
            model: 'vision-judge:latest',
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'text', text: 'what is this?' },
                  { type: 'image_url', image_url: { url } },
                ],
              },
            ],
          }),
        });
      const remote = await v1('https://example.com/chart.png');
      expect(remote.status).toBe(400);
      expect(await remote.json()).toEqual({
        error: {
          message: 'image URLs are not currently supported, please use base64 encoded data instead',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
      // /v1 takes data URLs of jpeg, jpg, png and webp only: a GIF data URL is "invalid image input".
      const gifUrl = await v1(`data:image/gif;base64,${gif}`);
      expect(gifUrl.status).toBe(400);
      expect(((await gifUrl.json()) as { error: { message: string } }).error.message).toBe('invalid image input');
    } finally {
      await ollama.stop();
    }
  });
});
