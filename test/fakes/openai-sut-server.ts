/**
 * A fake of an OpenAI-compatible chat-completions server as a system under test sees it (OpenAI's
 * API, or vLLM/Ollama's `/v1`), speaking the documented wire format and nothing more:
 * - `GET /v1/models` → `{ object: "list", data: [{ id, object: "model", created, owned_by }] }`;
 * - `POST /v1/chat/completions` `{ model, messages, temperature, seed, max_tokens |
 *   max_completion_tokens, n, store, metadata }` → a `chat.completion` object (`choices[].message`,
 *   `finish_reason` `stop` or `length`, `usage.prompt_tokens`/`completion_tokens`/`total_tokens`);
 *   errors as `{ error: { message, type, param, code } }` (400 bad request, 404 unknown model, 429 with
 *   `retry-after`, 500);
 * - with `storesCompletions` (OpenAI's stored completions), a request with `store: true` is kept
 *   with its `metadata`, and `GET /v1/chat/completions?metadata[k]=v&limit=&after=&order=` lists the
 *   kept ones (`{ object: "list", data, first_id, last_id, has_more }`); without it that route is
 *   a 405, as on vLLM.
 * A completion is generated whether or not the client is still connected (the server does not know
 * a client died), so a killed client's answer is kept when it asked for `store: true`. With
 * `batches`, the Batch API is served too, its lines answered by the same code. Every
 * generation is counted per (messages, seed): the count a test asserts "asked once" on.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createFakeBatches, type FakeBatches, type FakeBatchesOptions } from './openai-batches.ts';

export interface SutMessage {
  role: string;
  content: string;
}

/** What the SUT answers: the reply's content and, optionally, that it stopped at the token limit. */
export interface SutAnswer {
  content: string;
  /** Answer as cut by `max_tokens` (finish_reason `length`) whatever its length. */
  cut?: boolean;
}

export type SutPolicy = (request: {
  messages: SutMessage[];
  seed: number | undefined;
  temperature: number;
}) => SutAnswer;

export interface FakeSutOptions {
  model?: string;
  policy: SutPolicy;
  /** Keep completions sent with `store: true` and list them (OpenAI); else the list route is 405 (vLLM). */
  storesCompletions?: boolean;
  /** Delay before each completion answers, in ms; a function draws one per request. @default 0 */
  latencyMs?: number | (() => number);
  apiKey?: string;
  /** Answer vLLM's `POST /tokenize` (`{ count, max_model_len, tokens }`, counting as {@link fakeTokens}). */
  tokenizer?: boolean;
  /** Serve the Batch API (`/v1/files`, `/v1/batches`; see `openai-batches.ts`), its lines answered as the synchronous route. */
  batches?: Omit<FakeBatchesOptions, 'answer'>;
}

interface StoredCompletion {
  completion: Record<string, unknown>;
  metadata: Record<string, string>;
}

export interface FakeSut {
  url: string;
  /** Generations per (messages, seed) key: a key above 1 was asked for twice. */
  readonly generations: Map<string, number>;
  readonly counts: { completions: number; models: number; lists: number; failed: number; tokenize: number };
  readonly peakInflight: number;
  /** Completions being generated right now. */
  readonly inflight: number;
  /** The next `times` completion requests fail with `status` (and `retry-after` seconds). */
  failNext(times: number, status: number, retryAfterS?: number): void;
  /** The Batch API, when served. */
  readonly batches: FakeBatches | undefined;
  close(): Promise<void>;
}

/** The key a generation is counted under: what the request asked for (messages and seed). */
export function generationKey(messages: readonly SutMessage[], seed: number | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([messages.map((m) => [m.role, m.content]), seed ?? null]))
    .digest('hex');
}

/** Tokens of a text as this fake counts them: one per 4 characters, rounded up (≥ 1 for any text). */
export function fakeTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function error(res: ServerResponse, status: number, message: string, type: string, extra: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(JSON.stringify({ error: { message, type, param: null, code: null } }));
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeSut(options: FakeSutOptions): Promise<FakeSut> {
  const model = options.model ?? 'sut-model';
  const generations = new Map<string, number>();
  const counts = { completions: 0, models: 0, lists: 0, failed: 0, tokenize: 0 };
  const stored: StoredCompletion[] = [];
  const faults: { status: number; retryAfterS?: number }[] = [];
  let inflight = 0;
  let peakInflight = 0;
  let serial = 0;
  const sockets = new Set<Socket>();

  const latency = (): number =>
    typeof options.latencyMs === 'function' ? options.latencyMs() : (options.latencyMs ?? 0);

  /** Answers one chat-completions body as `POST /v1/chat/completions` does: its status and JSON body. */
  async function answer(
    body: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const fail = (status: number, message: string, type: string, headers?: Record<string, string>) => ({
      status,
      body: { error: { message, type, param: null, code: null } },
      headers,
    });
    if (body.model !== model) {
      return fail(
        404,
        `The model \`${String(body.model)}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
      );
    }
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      return fail(400, "Invalid value for 'messages': expected a non-empty array.", 'invalid_request_error');
    }
    const n = body.n ?? 1;
    if (n !== 1) return fail(400, 'this fake answers n = 1 only', 'invalid_request_error');
    const maxTokens = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
    if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) {
      return fail(400, "Invalid 'max_tokens': integer below minimum value.", 'invalid_request_error');
    }
    const fault = faults.shift();
    if (fault) {
      counts.failed += 1;
      const headers: Record<string, string> =
        fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {};
      return fail(
        fault.status,
        fault.status === 429 ? 'Rate limit reached' : 'The server had an error',
        fault.status === 429 ? 'requests' : 'server_error',
        headers,
      );
    }
    const msgs = (messages as SutMessage[]).map((m) => ({ role: String(m.role), content: String(m.content) }));
    const seed = typeof body.seed === 'number' ? body.seed : undefined;
    const temperature = typeof body.temperature === 'number' ? body.temperature : 1;
    counts.completions += 1;
    inflight += 1;
    peakInflight = Math.max(peakInflight, inflight);
    try {
      const wait = latency();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const key = generationKey(msgs, seed);
      generations.set(key, (generations.get(key) ?? 0) + 1);
      const reply = options.policy({ messages: msgs, seed, temperature });
      let content = reply.content;
      let finish = reply.cut ? 'length' : 'stop';
      if (maxTokens !== undefined && fakeTokens(content) > maxTokens) {
        content = content.slice(0, maxTokens * 4);
        finish = 'length';
      }
      serial += 1;
      const completion = {
        id: `chatcmpl-fake${serial.toString(36).padStart(8, '0')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish },
        ],
        usage: {
          prompt_tokens: msgs.reduce((s, m) => s + fakeTokens(m.content) + 4, 0),
          completion_tokens: fakeTokens(content),
          total_tokens: 0,
        },
        system_fingerprint: 'fp_fake',
        service_tier: 'default',
      };
      completion.usage.total_tokens = completion.usage.prompt_tokens + completion.usage.completion_tokens;
      if (options.storesCompletions && body.store === true) {
        const metadata = (body.metadata ?? {}) as Record<string, string>;
        stored.push({ completion: { ...completion, metadata, request_id: null }, metadata });
      }
      return { status: 200, body: completion };
    } finally {
      inflight -= 1;
    }
  }

  async function complete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return error(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
    }
    const out = await answer(body);
    if (res.destroyed) return;
    res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) });
    res.end(JSON.stringify(out.body));
  }

  function list(url: URL, res: ServerResponse): void {
    counts.lists += 1;
    const filters = [...url.searchParams].flatMap(([k, v]) => {
      const m = /^metadata\[(.+)\]$/.exec(k);
      return m?.[1] ? [[m[1], v] as const] : [];
    });
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 20)));
    const order = url.searchParams.get('order') === 'desc' ? 'desc' : 'asc';
    let rows = stored.filter((s) => filters.every(([k, v]) => s.metadata[k] === v)).map((s) => s.completion);
    if (order === 'desc') rows = rows.reverse();
    const after = url.searchParams.get('after');
    if (after) {
      const at = rows.findIndex((r) => r.id === after);
      rows = at >= 0 ? rows.slice(at + 1) : [];
    }
    const data = rows.slice(0, limit);
    json(res, {
      object: 'list',
      data,
      first_id: (data[0]?.id as string | undefined) ?? null,
      last_id: (data.at(-1)?.id as string | undefined) ?? null,
      has_more: rows.length > limit,
    });
  }

  const batchApi = options.batches ? createFakeBatches({ ...options.batches, answer }) : undefined;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return error(res, 401, 'Incorrect API key provided.', 'invalid_request_error');
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      counts.models += 1;
      return json(res, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'fake' }] });
    }
    if (req.method === 'POST' && url.pathname === '/tokenize' && options.tokenizer) {
      counts.tokenize += 1;
      readBody(req).then(
        (raw) => {
          const body = JSON.parse(raw) as { messages?: SutMessage[] };
          const count = (body.messages ?? []).reduce((s, m) => s + fakeTokens(String(m.content)) + 4, 0);
          json(res, { count, max_model_len: 32768, tokens: Array.from({ length: count }, (_, i) => i) });
        },
        () => error(res, 400, 'bad body', 'invalid_request_error'),
      );
      return;
    }
    if (url.pathname === '/v1/chat/completions') {
      if (req.method === 'POST') {
        complete(req, res).catch((e: unknown) => {
          if (!res.headersSent) error(res, 500, String(e), 'server_error');
        });
        return;
      }
      if (req.method === 'GET' && options.storesCompletions) return list(url, res);
      res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' });
      return res.end(JSON.stringify({ detail: 'Method Not Allowed' }));
    }
    if (batchApi?.handle(req, res, url)) return;
    error(res, 404, `Unknown request URL: ${req.method} ${url.pathname}.`, 'invalid_request_error');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    generations,
    counts,
    get peakInflight() {
      return peakInflight;
    },
    get inflight() {
      return inflight;
    },
    batches: batchApi,
    failNext(times, status, retryAfterS) {
      for (let i = 0; i < times; i++) faults.push({ status, retryAfterS });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
