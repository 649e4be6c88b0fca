import { buildPrimingRequest, createArbiterClients, loadArbiterConfig } from '@gavel/arbiter';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeBatchesServer, startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { API_KEY } from './arbiter-fixtures.ts';

let fake: FakeBatchesServer | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

function sdk(url: string, apiKey = API_KEY) {
  const config = loadArbiterConfig({
    GAVEL_ARBITER: 'anthropic-batch',
    GAVEL_ARBITER_MODEL: 'claude-sonnet-4-6',
    GAVEL_ARBITER_API_KEY: apiKey,
    GAVEL_ARBITER_URL: url,
  });
  const { anthropic } = createArbiterClients(config);
  if (!anthropic) throw new Error('no client');
  return anthropic;
}

const criteria = [{ id: 'correctness', description: 'the answer is right', weight: 1, safety: false }];
const rubric = (text: string) => ({ text, criteria });
const request = (id: string, text: string) => ({
  custom_id: id,
  params: { ...buildPrimingRequest('claude-sonnet-4-6', rubric(text), '1h'), max_tokens: 64 },
});

describe('the Batches fake, through the real @anthropic-ai/sdk', () => {
  it('pages the batch list newest first with has_more/first_id/last_id, retrieves, cancels and deletes', async () => {
    fake = await startFakeAnthropicBatches({ apiKey: API_KEY, processingMs: 60_000 });
    const client = sdk(fake.url);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1)
      ids.push((await client.messages.batches.create({ requests: [request(`r${i}`, 'x')] })).id);
    const page = await client.messages.batches.list({ limit: 2 });
    expect(page.data.map((b) => b.id)).toEqual([ids[4], ids[3]]);
    expect(page.has_more).toBe(true);
    expect(page.first_id).toBe(ids[4]);
    expect(page.last_id).toBe(ids[3]);
    const all: string[] = [];
    for await (const b of client.messages.batches.list({ limit: 2 })) all.push(b.id);
    expect(all).toEqual([...ids].reverse());

    const open = await client.messages.batches.retrieve(ids[0] as string);
    expect(open).toMatchObject({ processing_status: 'in_progress', results_url: null, ended_at: null });
    expect(Date.parse(open.expires_at) - Date.parse(open.created_at)).toBe(24 * 3_600_000);
    await expect(client.messages.batches.delete(ids[0] as string)).rejects.toMatchObject({ status: 400 });
    const canceled = await client.messages.batches.cancel(ids[0] as string);
    expect(canceled.processing_status).toBe('ended');
    expect(canceled.request_counts).toMatchObject({ canceled: 1, processing: 0 });
    const results = [];
    for await (const r of await client.messages.batches.results(ids[0] as string)) results.push(r);
    expect(results).toEqual([{ custom_id: 'r0', result: { type: 'canceled' } }]);
    expect((await client.messages.batches.delete(ids[0] as string)).type).toBe('message_batch_deleted');
    await expect(client.messages.batches.retrieve(ids[0] as string)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses a wrong key and a custom_id the API would refuse', async () => {
    fake = await startFakeAnthropicBatches({ apiKey: API_KEY });
    await expect(sdk(fake.url, 'wrong').messages.batches.list()).rejects.toMatchObject({ status: 401 });
    await expect(
      sdk(fake.url).messages.batches.create({ requests: [request('has:colon', 'x')] }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('writes the cache on the first request with a prefix, reads it after, and never caches a short prefix', async () => {
    fake = await startFakeAnthropicBatches({ apiKey: API_KEY, minCacheTokens: 1024 });
    const client = sdk(fake.url);
    const long = 'rubric '.repeat(800); // 5600 characters → 1400 tokens
    const priming = buildPrimingRequest('claude-sonnet-4-6', rubric(long), '1h');
    // The cached prefix runs tools → system: the tool definitions are cached with the rubric.
    const prefix = 1400 + Math.ceil(JSON.stringify(priming.tools).length / 4);
    const first = await client.messages.create(priming);
    expect(first.usage).toMatchObject({ cache_creation_input_tokens: prefix, cache_read_input_tokens: 0 });
    expect(first.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: prefix });
    const second = await client.messages.create(priming);
    expect(second.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: prefix });
    // Other tools are another prefix: no read of the first one.
    const otherTools = buildPrimingRequest(
      'claude-sonnet-4-6',
      { text: long, criteria: [...criteria, { ...criteria[0], id: 'style' } as (typeof criteria)[number]] },
      '1h',
    );
    const third = await client.messages.create(otherTools);
    expect(third.usage.cache_read_input_tokens).toBe(0);
    const short = await client.messages.create(buildPrimingRequest('claude-sonnet-4-6', rubric('short rubric'), '5m'));
    expect(short.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });
});
