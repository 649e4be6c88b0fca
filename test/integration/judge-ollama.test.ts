import { ConfigError, InputError } from '@gavel/core';
import { createLlmGrader, type LlmGrader } from '@gavel/judge';
import { answerSchemaFor } from '@gavel/rubric';
import { afterEach, describe, expect, it } from 'vitest';
import { fakePromptTokens } from '../fakes/fake-judge-policy.ts';
import { type FakeOllama, type FakeOllamaOptions, startFakeOllama } from '../fakes/ollama-server.ts';
import { manifest, settings, textCase, textRubric } from './judge-fixtures.ts';

const open: Array<FakeOllama | LlmGrader> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await ('grade' in item ? item.close() : item.stop());
});

async function fake(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const server = await startFakeOllama({
    models: [{ name: 'judge-model:latest', trainedContext: 32_768 }],
    ...options,
  });
  open.push(server);
  return server;
}

const ollamaSettings = (url: string, contextTokens = 16_384) =>
  settings({ url, mode: 'ollama', model: 'judge-model:latest', contextTokens });

describe('the LLM judge against an Ollama-shaped server', () => {
  it('loads the model with num_ctx, checks the window /api/ps reports, and grades over native /api/chat', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const grader = await createLlmGrader({ ...ollamaSettings(server.url), k: 1 });
    open.push(grader);
    expect(grader.contextWindow).toBe(16_384);
    expect(server.events[0]).toEqual({ kind: 'load', name: 'judge-model:latest', contextLength: 16_384 });

    const verdict = await grader.grade(
      {
        ...textCase(1, true),
        rubric,
        manifest: manifest(rubric, { mode: 'ollama', model: 'judge-model:latest', k: 1 }),
      },
      new AbortController().signal,
    );
    expect(verdict).toMatchObject({
      pass: true,
      source: 'judge',
      grader: { path: 'ollama', model: 'judge-model:latest' },
    });
    expect(server.chats).toHaveLength(2);
    for (const chat of server.chats) {
      expect(chat.path).toBe('/api/chat');
      expect(chat.body.format).toEqual(answerSchemaFor(rubric));
      expect(chat.body.stream).toBe(false);
      expect((chat.body.options as { num_ctx: number }).num_ctx).toBe(16_384);
      expect(chat.reportedPromptTokens).toBe(chat.promptTokens);
    }
    expect(verdict.usage?.input).toBe(server.chats.reduce((s, c) => s + c.reportedPromptTokens, 0));
    // Still one load: every request carried the same num_ctx, so nothing reloaded at the default.
    expect(server.events.filter((e) => e.kind === 'load')).toHaveLength(1);
  });

  it('grades every sample when Ollama may decode any answer the format schema allows', async () => {
    const server = await fake({ decoding: 'any' });
    const rubric = await textRubric();
    const grader = await createLlmGrader(ollamaSettings(server.url));
    open.push(grader);
    const run = manifest(rubric, { mode: 'ollama', model: 'judge-model:latest' });
    const samples = 100;
    const graded = await Promise.allSettled(
      Array.from({ length: samples }, (_, i) =>
        grader.grade({ ...textCase(i, i % 2 === 0), rubric, manifest: run }, new AbortController().signal),
      ),
    );
    const failures = graded.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures.slice(0, 1)).toEqual([]);
    const verdicts = graded.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(verdicts).toHaveLength(samples);
    for (const verdict of verdicts) {
      expect(verdict.criteria.map((c) => c.id)).toEqual(rubric.criteria.map((c) => c.id));
    }
    expect(server.chats).toHaveLength(samples);
  });

  it('refuses to start when Ollama allocates less than the configured context', async () => {
    const cramped = await fake({ maxFitContext: 8192 });
    const attempt = createLlmGrader(ollamaSettings(cramped.url));
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(
      /\/api\/ps context_length: effective context window is 8192 tokens, below GAVEL_JUDGE_CONTEXT=16384/,
    );
    const short = await fake({ models: [{ name: 'judge-model', trainedContext: 8192 }] });
    await expect(createLlmGrader(ollamaSettings(short.url))).rejects.toThrow(
      /trained context \(llama.context_length = 8192\)/,
    );
    await expect(createLlmGrader({ ...ollamaSettings(short.url), model: 'missing' })).rejects.toThrow(
      /model 'missing' not found/,
    );
  });

  it('catches a prompt Ollama cut to fit its window: an error, never a verdict', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const grader = await createLlmGrader({ ...ollamaSettings(server.url, 4096), maxOutputTokens: 512 });
    open.push(grader);
    // Long enough to overflow 4096 fake tokens, short enough that the byte-based lower bound lets it go out.
    const c = textCase(1, true);
    c.sample.output = 'Paris. '.repeat(1500);
    const graded = grader.grade(
      { ...c, rubric, manifest: manifest(rubric, { mode: 'ollama', model: 'judge-model:latest' }) },
      new AbortController().signal,
    );
    await expect(graded).rejects.toBeInstanceOf(InputError);
    await expect(graded).rejects.toThrow(/processed 4096 prompt tokens, filling the 4096-token window/);
    expect(server.chats.at(-1)?.promptTokens).toBeGreaterThan(4096);
  });

  it("shows the OpenAI-compatible endpoint's trap: num_ctx is ignored there and the prompt is cut to the default", async () => {
    const server = await fake({ defaultContext: 2048 });
    const rubric = await textRubric();
    const messages = [
      { role: 'system', content: rubric.text },
      { role: 'user', content: 'Grade: Paris' },
    ];
    // num_ctx is no OpenAI parameter: Ollama's /v1 path drops it (top level or in options), as the real server does.
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ollama' },
      body: JSON.stringify({ model: 'judge-model:latest', messages, num_ctx: 16_384, options: { num_ctx: 16_384 } }),
    });
    const completion = (await response.json()) as { usage?: { prompt_tokens: number } };
    expect(fakePromptTokens(messages)).toBeGreaterThan(2048);
    expect(completion.usage?.prompt_tokens).toBe(2048);
    expect(server.chats.at(-1)?.contextLength).toBe(2048);
  });
});
