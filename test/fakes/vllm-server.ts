/**
 * A fake of vLLM's OpenAI-compatible server (`vllm serve`), speaking its wire format: `/health`,
 * `/v1/models` (with `max_model_len`), `/tokenize`, `/v1/chat/completions` (usage, `n`, `seed`,
 * `response_format: json_schema`, OpenAI-style error bodies). Answers come from a policy the test
 * controls; a request with a JSON schema is answered under it, as constrained decoding does
 * (schema-decoding.ts): the answer conforms to the schema sent, whatever the policy meant. Faults: latency, 429 (with Retry-After) / 500 injection, malformed answers, going
 * down and coming back on the same port, and — unlike real vLLM, which rejects an over-long
 * prompt with HTTP 400 — an optional silent truncation that reports fewer prompt tokens (what a
 * misconfigured proxy or server does), for the judge's truncation guard to catch.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fakeImageTokens, flattenOpenAiMessages, type ReceivedImage } from './fake-images.ts';
import { type FakeMessage, factsPolicy, fakePromptTokens, type JudgePolicy } from './fake-judge-policy.ts';
import {
  assertSupportedSchema,
  type DecodingMode,
  decodeUnderSchema,
  requestSchema,
  UnsupportedSchema,
} from './schema-decoding.ts';

export interface FakeVllmOptions {
  /** Served model name. @default judge-model */
  model?: string;
  /** @default 16384 */
  maxModelLen?: number;
  /** Delay before each completion answers. @default 0 */
  latencyMs?: number;
  policy?: JudgePolicy;
  /** Silently cut prompts longer than this many tokens and report the cut count. */
  truncateToTokens?: number;
  /** Require `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /**
   * How an answer constrained by `response_format: json_schema` is decoded: it always conforms to
   * the request's schema (`guided`: the policy's values where they fit; `any`: any conforming answer).
   * @default guided
   */
  decoding?: DecodingMode;
  /**
   * Answer an endpoint in another server's shape (HTTP 200): `tokens-only` answers `/tokenize` with
   * just `{ tokens }` (llama.cpp's server), `no-choices` a chat completion without `choices`.
   */
  wrongShape?: WrongShape;
  /**
   * The served model takes images (`image_url` parts with data URLs); a text-only model answers
   * any image with HTTP 400. @default false
   */
  vision?: boolean;
  /** Images one prompt may carry (`--limit-mm-per-prompt '{"image": N}'`). @default 1 */
  imageLimit?: number;
  /** Keep every completion request body (off for benchmarks). @default true */
  record?: boolean;
  port?: number;
}

export interface RecordedCompletion {
  body: Record<string, unknown>;
  /** Text of each message, every image replaced by `<image SHA256>`. */
  messages: FakeMessage[];
  /** The images the request carried, decoded from their data URLs, in order. */
  images: ReceivedImage[];
  promptTokens: number;
}

export type WrongShape = 'tokens-only' | 'no-choices';

type Fault = { kind: 'status'; status: number; retryAfterS?: number } | { kind: 'malformed'; content: string };

export interface FakeVllm {
  url: string;
  port: number;
  /** Completion requests, in arrival order (when `record`). */
  readonly completions: RecordedCompletion[];
  /** sha256 of the first (system) message of every completion request → count. */
  readonly systemPrefixes: Map<string, number>;
  readonly counts: { completions: number; tokenize: number; models: number; failed: number };
  /** Most completions in flight at once. */
  readonly peakInflight: number;
  /**
   * When (Date.now()) the first completion request arrived and the last one was answered, and the
   * sum of every completion's time in flight (arrival to answer, ms): over the phase, its mean in flight.
   */
  readonly timeline: { firstCompletionAt: number | undefined; lastAnswerAt: number | undefined; servedMs: number };
  /** The next `times` completion requests fail with `status` (and `Retry-After` seconds). */
  failNext(times: number, status: number, retryAfterS?: number): void;
  /** The next `times` completions answer `content` (default: not JSON) instead of the policy's. */
  malformNext(times: number, content?: string): void;
  setPolicy(policy: JudgePolicy): void;
  setDecoding(mode: DecodingMode): void;
  setLatency(ms: number): void;
  setTruncation(tokens: number | undefined): void;
  /** From now on answer in another server's shape, or (undefined) in vLLM's own again. */
  setWrongShape(shape: WrongShape | undefined): void;
  /** Stops listening and drops open connections (a crashed server); `up()` listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(status: number, message: string, type: string): unknown {
  return { error: { message, type, param: null, code: status } };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

export async function startFakeVllm(options: FakeVllmOptions = {}): Promise<FakeVllm> {
  const model = options.model ?? 'judge-model';
  const maxModelLen = options.maxModelLen ?? 16_384;
  let latency = options.latencyMs ?? 0;
  let policy = options.policy ?? factsPolicy();
  let decoding = options.decoding ?? 'guided';
  let wrongShape = options.wrongShape;
  let truncateTo = options.truncateToTokens;
  const record = options.record ?? true;
  const faults: Fault[] = [];
  const completions: RecordedCompletion[] = [];
  const systemPrefixes = new Map<string, number>();
  const counts = { completions: 0, tokenize: 0, models: 0, failed: 0 };
  let inflight = 0;
  let peak = 0;
  const timeline: FakeVllm['timeline'] = { firstCompletionAt: undefined, lastAnswerAt: undefined, servedMs: 0 };
  const created = Math.floor(Date.now() / 1000);

  const vision = options.vision ?? false;
  const imageLimit = options.imageLimit ?? 1;
  /**
   * What vLLM refuses of a request's images, in its words (each a ValueError, answered as HTTP 400
   * `BadRequestError`): any image on a text-only model — `MultiModalRegistry.create_processor` in
   * vllm/multimodal/registry.py raises `f"{model_name} is not a multimodal model"` (the served model
   * name); more than the per-prompt limit — `BaseProcessingInfo.validate_num_items` in
   * vllm/multimodal/processing raises `f"At most {limit} {modality}(s) may be provided in one
   * prompt."`, plus `" Set \`--limit-mm-per-prompt\` to increase this limit."` when the model takes
   * more (as this fake's vision model does).
   */
  function checkImages(images: readonly ReceivedImage[]): string | undefined {
    if (images.length === 0) return undefined;
    if (!vision) return `${model} is not a multimodal model`;
    if (images.length > imageLimit)
      return `At most ${imageLimit} image(s) may be provided in one prompt. Set \`--limit-mm-per-prompt\` to increase this limit.`;
    const bad = images.find((i) => i.format === 'unknown');
    if (bad) return 'cannot identify image file';
    return undefined;
  }

  async function chat(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    if (body.model !== model) {
      sendJson(res, 404, errorBody(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError'));
      return;
    }
    if (body.stream === true) {
      sendJson(res, 400, errorBody(400, 'this fake does not stream', 'BadRequestError'));
      return;
    }
    const flat = flattenOpenAiMessages((body.messages ?? []) as { role: string; content: unknown }[]);
    if ('problem' in flat) {
      sendJson(res, 400, errorBody(400, flat.problem, 'BadRequestError'));
      return;
    }
    const imageProblem = checkImages(flat.images);
    if (imageProblem) {
      sendJson(res, 400, errorBody(400, imageProblem, 'BadRequestError'));
      return;
    }
    const messages = flat.messages;
    const images = flat.images;
    const schema = requestSchema(body);
    if (schema) {
      try {
        assertSupportedSchema(schema);
      } catch (error) {
        if (!(error instanceof UnsupportedSchema)) throw error;
        sendJson(res, 400, errorBody(400, `invalid JSON schema: ${error.message}`, 'BadRequestError'));
        return;
      }
    }
    const full = fakePromptTokens(messages) + images.reduce((s, i) => s + fakeImageTokens(i), 0);
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 16;
    if (truncateTo === undefined && full + maxTokens > maxModelLen) {
      sendJson(
        res,
        400,
        errorBody(
          400,
          `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${full + maxTokens} tokens (${full} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
          'BadRequestError',
        ),
      );
      return;
    }
    const promptTokens = truncateTo !== undefined ? Math.min(full, truncateTo) : full;
    timeline.firstCompletionAt ??= Date.now();
    const index = counts.completions++;
    const system = messages[0]?.content ?? '';
    const hash = createHash('sha256').update(system, 'utf8').digest('hex');
    systemPrefixes.set(hash, (systemPrefixes.get(hash) ?? 0) + 1);
    if (record) completions.push({ body, messages, images, promptTokens });
    const fault = faults.shift();
    inflight += 1;
    peak = Math.max(peak, inflight);
    const arrived = performance.now();
    try {
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      if (fault?.kind === 'status') {
        counts.failed += 1;
        const headers: Record<string, string> =
          fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {};
        sendJson(
          res,
          fault.status,
          errorBody(
            fault.status,
            `injected HTTP ${fault.status}`,
            fault.status === 429 ? 'RateLimitError' : 'InternalServerError',
          ),
          headers,
        );
        return;
      }
      const n = typeof body.n === 'number' ? body.n : 1;
      const temperature = typeof body.temperature === 'number' ? body.temperature : 1;
      const seed = typeof body.seed === 'number' ? body.seed : undefined;
      const contents = Array.from({ length: n }, (_, i) => {
        // A malformed fault is a server that ignored the constraint; otherwise the answer obeys the schema.
        if (fault?.kind === 'malformed') return fault.content;
        const intended = policy({
          model,
          messages,
          images,
          temperature,
          seed: seed === undefined ? undefined : seed + i,
          index,
        });
        return schema ? decodeUnderSchema(schema, intended, decoding, (seed ?? 0) + i + index * 7919) : intended;
      });
      const choices = contents.map((content, i) => ({
        index: i,
        message: { role: 'assistant', content, reasoning_content: null, tool_calls: [] },
        logprobs: null,
        finish_reason: 'stop',
        stop_reason: null,
      }));
      const completionTokens = choices.reduce((s, c) => s + Math.ceil(c.message.content.length / 4), 0);
      if (wrongShape === 'no-choices') {
        sendJson(res, 200, { id: `chatcmpl-${index}`, object: 'chat.completion', model, usage: null });
        return;
      }
      sendJson(res, 200, {
        id: `chatcmpl-${index}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices,
        usage: {
          prompt_tokens: promptTokens,
          total_tokens: promptTokens + completionTokens,
          completion_tokens: completionTokens,
          prompt_tokens_details: null,
        },
        prompt_logprobs: null,
      });
    } finally {
      inflight -= 1;
      timeline.lastAnswerAt = Date.now();
      timeline.servedMs += performance.now() - arrived;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (options.apiKey && path !== '/health' && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      sendJson(res, 401, { error: 'Unauthorized' });
      return;
    }
    if (req.method === 'GET' && path === '/health') {
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      counts.models += 1;
      sendJson(res, 200, {
        object: 'list',
        data: [
          {
            id: model,
            object: 'model',
            created,
            owned_by: 'vllm',
            root: model,
            parent: null,
            max_model_len: maxModelLen,
            permission: [],
          },
        ],
      });
      return;
    }
    if (req.method === 'POST' && path === '/tokenize') {
      counts.tokenize += 1;
      const body = (await readBody(req)) as { messages?: { role: string; content: unknown }[]; prompt?: string };
      let count: number;
      if (body.messages) {
        const flat = flattenOpenAiMessages(body.messages);
        const problem = 'problem' in flat ? flat.problem : checkImages(flat.images);
        if (problem || 'problem' in flat) {
          sendJson(res, 400, errorBody(400, problem ?? 'bad messages', 'BadRequestError'));
          return;
        }
        count = fakePromptTokens(flat.messages) + flat.images.reduce((s, i) => s + fakeImageTokens(i), 0);
      } else count = fakePromptTokens([{ role: 'user', content: body.prompt ?? '' }]);
      if (wrongShape === 'tokens-only') {
        sendJson(res, 200, { tokens: Array.from({ length: count }, (_, i) => i % 32_000) });
        return;
      }
      sendJson(res, 200, {
        count,
        max_model_len: maxModelLen,
        tokens: Array.from({ length: count }, (_, i) => i % 32_000),
      });
      return;
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      await chat((await readBody(req)) as Record<string, unknown>, res);
      return;
    }
    sendJson(res, 404, { detail: 'Not Found' });
  }

  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = options.port ?? 0;

  async function listen(): Promise<void> {
    const s = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, errorBody(500, String(error), 'InternalServerError'));
      });
    });
    s.keepAliveTimeout = 60_000;
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  }

  async function close(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    completions,
    systemPrefixes,
    counts,
    get peakInflight() {
      return peak;
    },
    timeline,
    failNext(times, status, retryAfterS) {
      for (let i = 0; i < times; i += 1) faults.push({ kind: 'status', status, retryAfterS });
    },
    malformNext(times, content = '{"pass": true, "score": 0.9, "criteria": [') {
      for (let i = 0; i < times; i += 1) faults.push({ kind: 'malformed', content });
    },
    setPolicy(p) {
      policy = p;
    },
    setDecoding(mode) {
      decoding = mode;
    },
    setLatency(ms) {
      latency = ms;
    },
    setTruncation(tokens) {
      truncateTo = tokens;
    },
    setWrongShape(shape) {
      wrongShape = shape;
    },
    down: close,
    up: listen,
    stop: close,
  };
}

// `tsx test/fakes/vllm-server.ts [port] [latencyMs] [maxModelLen]` runs it alone (benchmarks use a separate process).
if (import.meta.url === `file://${process.argv[1]}`) {
  const [port, latencyMs, maxModelLen] = process.argv.slice(2).map(Number);
  const fake = await startFakeVllm({
    port: port || 0,
    latencyMs: latencyMs || 0,
    maxModelLen: maxModelLen || 16_384,
    record: false,
  });
  process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
  const report = (): void => {
    process.stdout.write(
      `${JSON.stringify({ counts: fake.counts, peakInflight: fake.peakInflight, timeline: fake.timeline, systemPrefixes: [...fake.systemPrefixes.entries()] })}\n`,
    );
  };
  process.on('SIGUSR2', report);
  process.on('SIGTERM', () => {
    report();
    void fake.stop().then(() => process.exit(0));
  });
}
