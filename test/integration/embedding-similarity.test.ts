import { Facts } from '@gavel/core';
import { RunStore } from '@gavel/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeEmbeddings, fakeVector, startFakeEmbeddings } from '../fakes/embeddings-server.ts';
import { gavel, jsonl, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { startStageProcess } from '../support/stage-process.ts';

// facts.reference.embedding_similarity through the real sandbox worker process against a fake
// embedding server in both wire formats (OpenAI/vLLM /v1/embeddings, Ollama /api/embed), checked
// against cosines computed here from the fake's vectors.

let redis: RedisServer;
let client: Redis;
let fake: FakeEmbeddings;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  fake = await startFakeEmbeddings();
});

afterAll(async () => {
  client.disconnect();
  await fake?.close();
  await redis?.stop();
});

/** Cosine by its definition, written out here: Σ aᵢbᵢ / (√Σ aᵢ² · √Σ bᵢ²). */
function expectedCosine(a: string, b: string): number {
  const x = fakeVector(a);
  const y = fakeVector(b);
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    dot += (x[i] ?? 0) * (y[i] ?? 0);
    xx += (x[i] ?? 0) ** 2;
    yy += (y[i] ?? 0) ** 2;
  }
  return dot / (Math.sqrt(xx) * Math.sqrt(yy));
}

const samples = Array.from({ length: 30 }, (_, i) =>
  textSample(i, {
    id: `e-${i}`,
    output: ['Paris is the capital', 'It is London', 'Berlin, I think'][i % 3],
    reference: ['Paris', 'The capital is Paris, France'],
  }),
);

describe.each(['openai', 'ollama'] as const)('the embedding-similarity fact over %s', (api) => {
  it('is the max cosine to the references, from batched requests, each text embedded once', {
    timeout: 90_000,
  }, async () => {
    const runId = `emb-${api}`;
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_EMBEDDINGS_URL: fake.url,
      GAVEL_EMBEDDINGS_MODEL: 'embed-model',
      GAVEL_EMBEDDINGS_API: api,
      GAVEL_STORE_PREFIX: `gavel-${api}`,
      GAVEL_QUEUE_PREFIX: `{gavel-${api}}`,
    };
    const file = `${redis.dir}/${runId}.jsonl`;
    await (await import('node:fs/promises')).writeFile(file, jsonl(samples));
    expect((await gavel(['enqueue', file, '--run', runId], env)).code).toBe(0);
    const before = fake.batches.length;
    const worker = startStageProcess('sandbox', env);
    const prefixed = new RunStore(client, `gavel-${api}`);
    try {
      const deadline = Date.now() + 60_000;
      while ((await client.hlen(prefixed.key(runId, 'facts'))) < samples.length) {
        if (Date.now() > deadline) throw new Error(`facts not recorded: ${worker.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await worker.stop();
    }
    for (const s of samples) {
      const facts = Facts.parse(JSON.parse((await client.hget(prefixed.key(runId, 'facts'), String(s.id))) ?? '{}'));
      const refs = s.reference as string[];
      const expected = Math.max(...refs.map((r) => expectedCosine(String(s.output), r)));
      expect(facts.reference?.embedding_similarity).toBeCloseTo(expected, 10);
      expect(facts.reference?.embedding_model).toBe('embed-model');
    }
    // Five distinct texts (three outputs, two references): sent once each, in batches of more than one.
    const sent = fake.batches.slice(before);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(5);
    expect(Math.max(...sent)).toBeGreaterThan(1);
  });
});

describe('the embedding cache', () => {
  it('a second run of the same texts asks the server for nothing', { timeout: 90_000 }, async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_EMBEDDINGS_URL: fake.url,
      GAVEL_EMBEDDINGS_MODEL: 'embed-model',
      GAVEL_STORE_PREFIX: 'gavel-openai',
      GAVEL_QUEUE_PREFIX: '{gavel-openai}',
    };
    const file = `${redis.dir}/emb-again.jsonl`;
    await (await import('node:fs/promises')).writeFile(
      file,
      jsonl(samples.map((s) => ({ ...s, id: `again-${s.id}` }))),
    );
    expect((await gavel(['enqueue', file, '--run', 'emb-again'], env)).code).toBe(0);
    const before = fake.batches.length;
    const worker = startStageProcess('sandbox', env);
    const prefixed = new RunStore(client, 'gavel-openai');
    try {
      const deadline = Date.now() + 60_000;
      while ((await client.hlen(prefixed.key('emb-again', 'facts'))) < samples.length) {
        if (Date.now() > deadline) throw new Error(`facts not recorded: ${worker.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await worker.stop();
    }
    expect(fake.batches.length).toBe(before);
  });
});
