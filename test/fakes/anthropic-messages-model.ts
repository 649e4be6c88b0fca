/**
 * The Messages side of the Anthropic fake: how one request is answered and what it costs, as the
 * API documents it — prompt caching (tools → system up to the `cache_control` block, written on
 * first use, read within its TTL, never under `minCacheTokens`), tool use (a forced tool answered
 * with one `tool_use` block whose input need not match the schema), usage fields. Tokens are
 * counted as ceil(characters / 4).
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Block {
  type: string;
  text?: string;
  cache_control?: { type: string; ttl?: '5m' | '1h' };
}

export interface Tool {
  name: string;
  description?: string;
  input_schema: { type: 'object'; properties?: Record<string, unknown>; required?: string[] };
}

export interface Params {
  model: string;
  max_tokens: number;
  tools?: Tool[];
  tool_choice?: { type: string; name?: string };
  system?: string | Block[];
  messages: { role: string; content: string | Block[] }[];
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: 'standard' | 'batch';
  server_tool_use: null;
}

const tokens = (text: string): number => Math.ceil(text.length / 4);
export const blockText = (content: string | Block[] | undefined): string =>
  content === undefined ? '' : typeof content === 'string' ? content : content.map((b) => b.text ?? '').join('');

const criterionIds = (tool: Tool | undefined): string[] => {
  const criteria = tool?.input_schema.properties?.criteria as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(criteria?.properties ?? {});
};

/** The default answer: pass or fail by a hash of the user turn; for a forced tool, its input with every criterion the schema names. */
export const DEFAULT_FAKE_ANSWER = (params: Params): unknown => {
  const text = blockText(params.messages[0]?.content);
  const h = createHash('sha256').update(text).digest()[0] ?? 0;
  const pass = h % 2 === 0;
  const tool = forcedTool(params);
  const finding = pass ? null : 'the answer is wrong';
  const answer = {
    pass,
    score: pass ? 0.9 : 0.2,
    rationale: pass ? 'The output meets the rubric.' : 'The output misses the reference answer.',
  };
  if (tool) {
    const criteria = Object.fromEntries(criterionIds(tool).map((id) => [id, { score: pass ? 0.9 : 0.2, finding }]));
    return { ...answer, criteria };
  }
  return JSON.stringify({ ...answer, criteria: [{ id: 'correctness', score: pass ? 0.9 : 0.2, finding }] });
};

/** The tool a request forces (`tool_choice: {type:"tool", name}`), if any. */
export function forcedTool(params: Params): Tool | undefined {
  if (params.tool_choice?.type !== 'tool') return undefined;
  return params.tools?.find((t) => t.name === params.tool_choice?.name);
}

/** A Messages model behind the fake: answers requests (batch or on demand), keeping the cache and every usage returned. */
export function createFakeMessages(options: {
  minCacheTokens: number;
  answer: (params: Params, info: { where: 'batch' | 'message'; seen: number }) => unknown;
}) {
  const { minCacheTokens, answer } = options;
  const cache = new Map<string, number>(); // prefix hash → expires at
  const answerSeen = new Map<string, number>();
  const usages: { kind: 'message' | 'batch'; usage: Usage }[] = [];

  /** Usage of one request under the cache rules, updating the cache. */
  function usageOf(params: Params, outputTokens: number, tier: Usage['service_tier'], now: number): Usage {
    const system = typeof params.system === 'string' ? [{ type: 'text', text: params.system }] : (params.system ?? []);
    const breakAt = system.findIndex((b) => b.cache_control?.type === 'ephemeral');
    const rest = tokens(
      blockText(
        params.messages.flatMap((m) =>
          typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content,
        ),
      ),
    );
    const usage: Usage = {
      input_tokens: 0,
      output_tokens: outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      service_tier: tier,
      server_tool_use: null,
    };
    const prefixBlocks = breakAt >= 0 ? system.slice(0, breakAt + 1) : [];
    const suffixBlocks = breakAt >= 0 ? system.slice(breakAt + 1) : system;
    // Tools come first in the prefix: cached with the system blocks when a system block carries the breakpoint.
    const toolsText = params.tools ? JSON.stringify(params.tools) : '';
    const prefixTokens = tokens(blockText(prefixBlocks)) + (breakAt >= 0 ? tokens(toolsText) : 0);
    usage.input_tokens = tokens(blockText(suffixBlocks)) + rest + (breakAt >= 0 ? 0 : tokens(toolsText));
    if (breakAt < 0 || prefixTokens < minCacheTokens) {
      usage.input_tokens += prefixTokens;
      return usage;
    }
    const ttl = prefixBlocks[breakAt]?.cache_control?.ttl === '1h' ? 3_600_000 : 300_000;
    const key = createHash('sha256')
      .update(params.model)
      .update('\0')
      .update(toolsText)
      .update('\0')
      .update(JSON.stringify(prefixBlocks.map((b) => b.text)))
      .digest('hex');
    const expires = cache.get(key);
    if (expires !== undefined && expires > now) {
      usage.cache_read_input_tokens = prefixTokens;
    } else {
      usage.cache_creation_input_tokens = prefixTokens;
      if (ttl === 3_600_000) usage.cache_creation.ephemeral_1h_input_tokens = prefixTokens;
      else usage.cache_creation.ephemeral_5m_input_tokens = prefixTokens;
    }
    cache.set(key, now + ttl);
    return usage;
  }

  function message(params: Params, tier: Usage['service_tier'], now: number): Record<string, unknown> {
    const where = tier === 'batch' ? 'batch' : 'message';
    const key = createHash('sha256').update(where).update(JSON.stringify(params)).digest('hex');
    const seen = answerSeen.get(key) ?? 0;
    answerSeen.set(key, seen + 1);
    const cut = params.max_tokens <= 1;
    const tool = forcedTool(params);
    let content: Record<string, unknown>[];
    let outputTokens: number;
    let stop: string;
    if (tool) {
      const input = cut ? {} : answer(params, { where, seen });
      content = [
        {
          type: 'tool_use',
          id: `toolu_${randomBytes(12).toString('hex')}`,
          name: tool.name,
          input,
          caller: { type: 'direct' },
        },
      ];
      outputTokens = cut ? 1 : tokens(JSON.stringify(input));
      stop = cut ? 'max_tokens' : 'tool_use';
    } else {
      const text = cut ? 'OK' : String(answer(params, { where, seen }));
      content = [{ type: 'text', text, citations: null }];
      outputTokens = cut ? 1 : tokens(text);
      stop = cut ? 'max_tokens' : 'end_turn';
    }
    const usage = usageOf(params, outputTokens, tier, now);
    usages.push({ kind: where, usage });
    return {
      id: `msg_${randomBytes(12).toString('hex')}`,
      type: 'message',
      role: 'assistant',
      model: params.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage,
    };
  }

  return { message, usages };
}
