import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVllmBackend } from './vllm-backend.ts';

// A loopback server that keeps each request's raw body and answers a minimal chat completion.
const bodies: string[] = [];
const server = createServer((req: IncomingMessage, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => {
    raw += c;
  });
  req.on('end', () => {
    bodies.push(raw);
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        choices: [{ index: 0, message: { role: 'assistant', content: '{"ok":true}' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: null },
      }),
    );
  });
});
let url = '';
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

describe('vLLM completion request body', () => {
  it('is the JSON of the request, the rubric message and schema serialised once and reused', async () => {
    const backend = createVllmBackend({
      url,
      model: 'judge "model"',
      apiKey: undefined,
      contextTokens: 16_384,
      requestTimeoutMs: 5_000,
      startupWaitMs: 0,
    });
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const system = 'Rubric "quoted" \\ and\nnew lines, unicode é ✓';
    const ask = (user: string, temperature: number, seed: number) =>
      backend.complete(
        {
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: user },
          ],
          temperature,
          seed,
          maxOutputTokens: 64,
          schema,
        },
        new AbortController().signal,
      );
    const first = await ask('Task 1 "x"', 0, 7);
    await ask('Task 2\t</output>', 0.7, 8);
    expect(first).toEqual({
      content: '{"ok":true}',
      promptTokens: 12,
      outputTokens: 3,
      cachedTokens: 0,
      finishReason: 'stop',
    });
    // Written out by hand: what the OpenAI chat completions API takes for each request.
    const expected = (user: string, temperature: number, seed: number) => ({
      model: 'judge "model"',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      temperature,
      seed,
      max_tokens: 64,
      response_format: { type: 'json_schema', json_schema: { name: 'grader_answer', schema, strict: true } },
    });
    expect(bodies.map((b) => JSON.parse(b))).toEqual([
      expected('Task 1 "x"', 0, 7),
      expected('Task 2\t</output>', 0.7, 8),
    ]);
  });
});
