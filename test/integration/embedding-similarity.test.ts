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

describe('anchor answers', () => {
  it("exports the cosine to each anchor beside the reference's, the max reported, each text embedded once", {
    timeout: 90_000,
  }, async () => {
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_EMBEDDINGS_URL: fake.url,
      GAVEL_EMBEDDINGS_MODEL: 'embed-model',
      GAVEL_STORE_PREFIX: 'gavel-anchors',
      GAVEL_QUEUE_PREFIX: '{gavel-anchors}',
    };
    const anchors = ['A good answer names Paris', 'A poor answer names another city', 'Lyon'];
    const anchored = samples.map((s, i): Record<string, unknown> & { id: string; anchors: string[] } => ({
      ...s,
      id: `anchor-${i}`,
      anchors: i % 2 === 0 ? anchors : anchors.slice(2),
    }));
    const file = `${redis.dir}/emb-anchors.jsonl`;
    await (await import('node:fs/promises')).writeFile(file, jsonl(anchored));
    expect((await gavel(['enqueue', file, '--run', 'emb-anchors'], env)).code).toBe(0);
    const before = fake.batches.length;
    const worker = startStageProcess('sandbox', env);
    const prefixed = new RunStore(client, 'gavel-anchors');
    try {
      const deadline = Date.now() + 60_000;
      while ((await client.hlen(prefixed.key('emb-anchors', 'facts'))) < anchored.length) {
        if (Date.now() > deadline) throw new Error(`facts not recorded: ${worker.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await worker.stop();
    }
    for (const s of anchored) {
      const facts = Facts.parse(JSON.parse((await client.hget(prefixed.key('emb-anchors', 'facts'), s.id)) ?? '{}'));
      const output = String(s.output);
      const each = s.anchors.map((a) => expectedCosine(output, a));
      expect(facts.reference?.anchor_similarities).toHaveLength(each.length);
      for (const [i, c] of each.entries()) expect(facts.reference?.anchor_similarities?.[i]).toBeCloseTo(c, 10);
      expect(facts.reference?.anchor_similarity).toBeCloseTo(Math.max(...each), 10);
      // The reference's similarity is still over the references alone.
      const refs = s.reference as string[];
      expect(facts.reference?.embedding_similarity).toBeCloseTo(
        Math.max(...refs.map((r) => expectedCosine(output, r))),
        10,
      );
    }
    // Eight distinct texts (three outputs, two references, three anchors), each sent once, in batches.
    const sent = fake.batches.slice(before);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(8);
    expect(Math.max(...sent)).toBeGreaterThan(1);
  });

  it('refuses at enqueue anchors on a text sample without a reference, or an empty set, naming the line', async () => {
    const file = `${redis.dir}/emb-anchors-bad.jsonl`;
    const { reference: _r, ...noReference } = textSample(1, { anchors: ['x'] });
    await (await import('node:fs/promises')).writeFile(
      file,
      jsonl([textSample(0, { anchors: ['x'] }), noReference, textSample(2, { anchors: [] })]),
    );
    const result = await gavel(['enqueue', file, '--run', 'emb-anchors-bad'], { GAVEL_REDIS_URL: redis.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${file}:2: anchors: anchor answers are measured beside the reference: give the sample a reference too`,
    );
    expect(result.stderr).toMatch(new RegExp(`${file}:3: anchors: .*`));
    expect(result.stderr).not.toContain(`${file}:1:`);
  });
});

describe('anchor answers for a whole dataset (--anchors FILE)', () => {
  it('go on every text sample with a reference and none of its own, and the file is in the dataset hash', {
    timeout: 90_000,
  }, async () => {
    const fs = await import('node:fs/promises');
    const env = {
      GAVEL_REDIS_URL: redis.url,
      GAVEL_LOG_LEVEL: 'warn',
      GAVEL_EMBEDDINGS_URL: fake.url,
      GAVEL_EMBEDDINGS_MODEL: 'embed-model',
      GAVEL_STORE_PREFIX: 'gavel-dsanchors',
      GAVEL_QUEUE_PREFIX: '{gavel-dsanchors}',
    };
    const anchorsFile = `${redis.dir}/anchors.json`;
    await fs.writeFile(anchorsFile, JSON.stringify(['Paris it is', 'Rome']));
    const own = textSample(1, { id: 'own', anchors: ['Madrid'] });
    const file = `${redis.dir}/emb-dsanchors.jsonl`;
    await fs.writeFile(file, jsonl([textSample(0, { id: 'plain' }), own]));
    const bad = `${redis.dir}/anchors-bad.json`;
    await fs.writeFile(bad, JSON.stringify(['ok', '']));
    const refused = await gavel(['enqueue', file, '--run', 'emb-dsanchors', '--anchors', bad], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`--anchors ${bad}: [1] `);
    expect(await client.exists(new RunStore(client, 'gavel-dsanchors').key('emb-dsanchors', 'manifest'))).toBe(0);

    const enq = await gavel(['enqueue', file, '--run', 'emb-dsanchors', '--anchors', anchorsFile], env);
    expect(enq.code, enq.stderr).toBe(0);
    const prefixed = new RunStore(client, 'gavel-dsanchors');
    const manifest = JSON.parse((await client.get(prefixed.key('emb-dsanchors', 'manifest'))) ?? '{}');
    expect(manifest.dataset.files.map((f: { path: string }) => f.path)).toEqual([file, anchorsFile]);
    const worker = startStageProcess('sandbox', env);
    try {
      const deadline = Date.now() + 60_000;
      while ((await client.hlen(prefixed.key('emb-dsanchors', 'facts'))) < 2) {
        if (Date.now() > deadline) throw new Error(`facts not recorded: ${worker.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await worker.stop();
    }
    const factsOf = async (id: string) =>
      Facts.parse(JSON.parse((await client.hget(prefixed.key('emb-dsanchors', 'facts'), id)) ?? '{}'));
    const plain = await factsOf('plain');
    const plainOut = 'Paris';
    const expected = ['Paris it is', 'Rome'].map((a) => expectedCosine(plainOut, a));
    expect(plain.reference?.anchor_similarities).toHaveLength(2);
    for (const [i, c] of expected.entries()) expect(plain.reference?.anchor_similarities?.[i]).toBeCloseTo(c, 10);
    expect(plain.reference?.anchor_similarity).toBeCloseTo(Math.max(...expected), 10);
    // A sample's own anchors win over the dataset's.
    const mine = await factsOf('own');
    expect(mine.reference?.anchor_similarities).toHaveLength(1);
    expect(mine.reference?.anchor_similarity).toBeCloseTo(expectedCosine('London', 'Madrid'), 10);
    // gavel verify takes the anchors file beside the dataset: the dataset hash holds; without it, it does not.
    const check = async (...paths: string[]) => {
      const verify = await gavel(['verify', 'emb-dsanchors', ...paths.flatMap((p) => ['--dataset', p]), '--json'], env);
      return JSON.parse(verify.stdout).checks.find((c: { name: string }) => c.name === 'dataset').status;
    };
    expect(await check(file, anchorsFile)).toBe('ok');
    expect(await check(file)).toBe('mismatch');
  });
});
