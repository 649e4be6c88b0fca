/**
 * The Messages side of the Anthropic fake: how one request is answered and what it costs, as the
 * API documents it — prompt caching (tools → system up to the `cache_control` block, written on
 * first use, read within its TTL, never under `minCacheTokens`), tool use (a forced tool answered
 * with one `tool_use` block whose input need not match the schema), usage fields. Tokens are
 * counted as ceil(characters / 4).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type ReceivedImage, sniffImage } from './fake-images.ts';

export interface Block {
  type: string;
  text?: string;
  source?: { type?: string; media_type?: string; data?: string; url?: string };
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

/** The Messages API's limits on one image: 5 MB of base64 and 8000 px a side. */
export const IMAGE_MAX_BASE64 = 5 * 1024 * 1024;
export const IMAGE_MAX_SIDE = 8000;
/** More images than this in one request, and each side may be at most {@link MANY_IMAGE_MAX_SIDE}. */
export const MANY_IMAGES = 20;
export const MANY_IMAGE_MAX_SIDE = 2000;
const MEDIA_TYPES: Record<string, ReceivedImage['format']> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** The images of a request's messages, decoded from their base64 sources. */
export function requestImages(params: Params): ReceivedImage[] {
  return params.messages.flatMap((m) =>
    typeof m.content === 'string'
      ? []
      : m.content.flatMap((b) =>
          b.type === 'image' && typeof b.source?.data === 'string'
            ? [sniffImage(Buffer.from(b.source.data, 'base64'))]
            : [],
        ),
  );
}

/** Why the API refuses a request's image blocks (source, media type against the bytes, size), if it does. */
export function imageProblem(params: Params): string | undefined {
  // The API's wording, as its 400 `invalid_request_error` bodies quote it (seen in
  // anthropics/claude-code#19631 and #10612 for the 5 MB limit, #4778 and can1357/oh-my-pi#10633 for
  // 8000 px, #9375 and #24630 for the 2000 px limit of many-image requests, #8184 for the media type
  // enum, home-assistant/core#167208 and BerriAI/litellm#24900 for bytes that are not the declared
  // type); the limits are the vision guide's: 5 MB of base64 and 8000 px a side per image, 2000 px
  // a side when a request carries more than 20 images.
  const many = requestImageCount(params) > MANY_IMAGES;
  for (const [i, m] of params.messages.entries()) {
    if (typeof m.content === 'string') continue;
    for (const [k, b] of m.content.entries()) {
      if (b.type !== 'image') continue;
      const at = `messages.${i}.content.${k}.image.source`;
      if (b.source?.type !== 'base64' || typeof b.source.data !== 'string')
        return `${at}: this fake takes base64 sources only`;
      const expected = MEDIA_TYPES[b.source.media_type ?? ''];
      if (!expected)
        return `${at}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
      if (b.source.data.length > IMAGE_MAX_BASE64) {
        return `${at}.base64: image exceeds 5 MB maximum: ${b.source.data.length} bytes > ${IMAGE_MAX_BASE64} bytes`;
      }
      const image = sniffImage(Buffer.from(b.source.data, 'base64'));
      if (image.format !== expected) {
        const actual = image.format === 'unknown' ? 'unknown' : `image/${image.format}`;
        return `${at}.base64: The image was specified using the ${b.source.media_type} media type, but the image appears to be a ${actual} image`;
      }
      const side = many ? MANY_IMAGE_MAX_SIDE : IMAGE_MAX_SIDE;
      if (image.width > side || image.height > side) {
        return `${at}.base64.data: At least one of the image dimensions exceed max allowed size${many ? ' for many-image requests' : ''}: ${side} pixels`;
      }
    }
  }
  return undefined;
}

/** Image blocks in a request's messages (the many-image rule counts them). */
function requestImageCount(params: Params): number {
  return params.messages.reduce(
    (n, m) => n + (typeof m.content === 'string' ? 0 : m.content.filter((b) => b.type === 'image').length),
    0,
  );
}
export const blockText = (content: string | Block[] | undefined): string =>
  content === undefined ? '' : typeof content === 'string' ? content : content.map((b) => b.text ?? '').join('');

/** Image tokens as the vision docs estimate them: width × height / 750 per image. */
const imageTokens = (params: Params): number =>
  requestImages(params).reduce((s, i) => s + Math.ceil((i.width * i.height) / 750), 0);

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
    const rest =
      tokens(
        blockText(
          params.messages.flatMap((m) =>
            typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content,
          ),
        ),
      ) + imageTokens(params);
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
