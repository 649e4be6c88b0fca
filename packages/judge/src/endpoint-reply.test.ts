import { ConfigError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { ChatCompletionReply, endpointReply, OllamaChatReply, VllmTokenizeReply } from './endpoint-reply.ts';

describe("a 200 reply that is not the endpoint's", () => {
  it('is a configuration error naming the endpoint and the missing field', () => {
    expect(() => endpointReply(VllmTokenizeReply, { tokens: [1, 2] }, 'POST /tokenize')).toThrow(ConfigError);
    expect(() => endpointReply(VllmTokenizeReply, { tokens: [1, 2] }, 'POST /tokenize')).toThrow(
      /^POST \/tokenize answered HTTP 200 with a body that is not this endpoint's reply \(count: /,
    );
    expect(() => endpointReply(ChatCompletionReply, { object: 'chat.completion', usage: null }, 'chat')).toThrow(
      /\(choices: /,
    );
    expect(() => endpointReply(ChatCompletionReply, { choices: [{ message: { content: '{}' } }] }, 'chat')).toThrow(
      /\(usage: /,
    );
    expect(() => endpointReply(OllamaChatReply, { done: true }, 'POST /api/chat')).toThrow(/\(message: /);
  });

  it("reads the endpoint's own reply", () => {
    expect(endpointReply(VllmTokenizeReply, { count: 12, max_model_len: 4096, tokens: [] }, 'x')).toEqual({
      count: 12,
      max_model_len: 4096,
    });
    const completion = {
      choices: [{ message: { content: '{"a":1}' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: null },
    };
    expect(endpointReply(ChatCompletionReply, completion, 'x').choices[0]?.message.content).toBe('{"a":1}');
  });
});
