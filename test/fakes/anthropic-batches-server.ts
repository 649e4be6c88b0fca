/**
 * A fake of the Anthropic Messages + Message Batches API that the real `@anthropic-ai/sdk` talks to
 * through `baseURL`. Paths and shapes follow the SDK 1.x source (`resources/messages/batches`):
 * `POST /v1/messages`, `POST /v1/messages/batches`, `GET /v1/messages/batches/{id}`,
 * `GET /v1/messages/batches` (newest first, `limit`/`after_id`/`before_id`, `has_more`,
 * `first_id`, `last_id`), `POST …/{id}/cancel`, `DELETE …/{id}` (ended batches only), and the
 * results as JSONL (no blank lines) at a `results_url` pointing at this server, null until ended.
 * Checks the key (`x-api-key`, or `Authorization: Bearer` as SDK 1.x sends it) and `anthropic-version`; errors are `{type:"error", error:{type, message}}`.
 *
 * Errors as the API sends them (`{type:"error", error:{type, message}}`): 401
 * `authentication_error` for an unknown key, 403 `permission_error` for a key in `forbiddenKeys`
 * (valid, without permission), 413 `request_too_large` for a body over `maxBodyBytes` (the
 * Batches API's 256 MB, sent before the request is read, as Cloudflare does).
 *
 * Prompt caching as documented: the prefix runs tools → system blocks up to the one carrying
 * `cache_control`; the first request with that prefix writes it (`cache_creation` by TTL), later
 * ones within its TTL read it (a hit refreshes the TTL); a prefix under `minCacheTokens` is never
 * cached (both counters 0). Tokens are counted as ceil(characters / 4).
 *
 * Tool use as documented: a request that forces a tool (`tool_choice: {type:"tool", name}`) is
 * answered with one `tool_use` block (`id`, `name`, `input`) and `stop_reason: "tool_use"`
 * (`"max_tokens"` with an empty input when `max_tokens` cuts it). The input is not guaranteed to
 * match the tool's `input_schema` (the API does not enforce it without `strict`): `answer` may
 * return any object. The default answer follows the schema, with one entry per criterion the
 * schema names.
 *
 * A batch ends `processingMs` after creation; each request's fate comes from `outcome` (the test's
 * failure mix), told how often the same request body has been processed before.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  createFakeMessages,
  DEFAULT_FAKE_ANSWER,
  imageProblem,
  type Params,
  type Usage,
} from './anthropic-messages-model.ts';

export type FakeOutcome = 'succeeded' | 'errored' | 'invalid_request' | 'expired' | 'canceled';

interface StoredRequest {
  custom_id: string;
  params: Params;
}

type Result =
  | { type: 'succeeded'; message: Record<string, unknown> }
  | { type: 'errored'; error: { type: 'error'; error: { type: string; message: string }; request_id: string | null } }
  | { type: 'canceled' }
  | { type: 'expired' };

interface FakeBatch {
  id: string;
  requests: StoredRequest[];
  createdAt: number;
  endsAt: number;
  canceledAt: number | null;
  endedAt: number | null;
  results: { custom_id: string; result: Result }[] | null;
}

export interface FakeBatchesOptions {
  apiKey: string;
  /** Time from creation until a batch ends. @default 200 */
  processingMs?: number;
  /** Delay before `POST /v1/messages/batches` answers (after the batch exists). @default 0 */
  createDelayMs?: number;
  /** Time the upload of a batch takes before the batch exists (a large body). @default 0 */
  uploadDelayMs?: number;
  /** Largest request body accepted; a larger one is refused with 413 `request_too_large`. @default 256 MB */
  maxBodyBytes?: number;
  /** Keys that authenticate but lack permission: every request with one gets 403 `permission_error`. */
  forbiddenKeys?: readonly string[];
  /** The first download of each batch's results is cut (connection closed) after this many lines. */
  cutResultsAfter?: number;
  /** @default 1024 */
  minCacheTokens?: number;
  /** Each request's fate; `seen` counts earlier processings of the same request body. @default always succeeded */
  outcome?: (request: { custom_id: string; index: number; seen: number }) => FakeOutcome;
  /**
   * The answer of a succeeded request: a forced tool's `input` (any object) when the request
   * forces a tool, else the text. `where` says whether it is a batch request or a Messages call,
   * `seen` how often the same body was answered before. @default a schema-following answer
   */
  answer?: (params: Params, info: { where: 'batch' | 'message'; seen: number }) => unknown;
  /** Called once a batch exists, before its create call answers. */
  onCreate?: (batchId: string) => void;
  /** Called on every retrieve of a batch. */
  onRetrieve?: (batchId: string) => void;
}

export interface FakeBatchesServer {
  url: string;
  port: number;
  readonly batches: ReadonlyMap<string, FakeBatch>;
  /** Times each batch's results were downloaded. */
  readonly resultReads: Map<string, number>;
  readonly counts: {
    messages: number;
    creates: number;
    retrieves: number;
    lists: number;
    cancels: number;
    rejected: number;
  };
  /** Every usage returned (messages and batch results), in order. */
  readonly usages: { kind: 'message' | 'batch'; usage: Usage }[];
  setProcessingMs(ms: number): void;
  setCreateDelayMs(ms: number): void;
  stop(): Promise<void>;
}

/** Versions the fake accepts: SDK 0.x and SDK 1.x. */
export const ANTHROPIC_VERSIONS = ['2023-06-01', '2026-10-21'];
export async function startFakeAnthropicBatches(options: FakeBatchesOptions): Promise<FakeBatchesServer> {
  let processingMs = options.processingMs ?? 200;
  let createDelayMs = options.createDelayMs ?? 0;
  const uploadDelayMs = options.uploadDelayMs ?? 0;
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1000 * 1000;
  const minCacheTokens = options.minCacheTokens ?? 1024;
  const outcome = options.outcome ?? (() => 'succeeded' as const);
  const batches = new Map<string, FakeBatch>();
  const order: string[] = []; // oldest first
  const seenBodies = new Map<string, number>();
  const resultReads = new Map<string, number>();
  const counts = { messages: 0, creates: 0, retrieves: 0, lists: 0, cancels: 0, rejected: 0 };
  const { message, usages } = createFakeMessages({ minCacheTokens, answer: options.answer ?? DEFAULT_FAKE_ANSWER });
  let url = '';

  function settle(batch: FakeBatch, now: number): void {
    if (batch.results) return;
    const canceled = batch.canceledAt !== null;
    if (!canceled && now < batch.endsAt) return;
    batch.endedAt = canceled ? (batch.canceledAt as number) : batch.endsAt;
    batch.results = batch.requests.map((r, index) => {
      const bodyKey = createHash('sha256').update(JSON.stringify(r.params)).digest('hex');
      const seen = seenBodies.get(bodyKey) ?? 0;
      seenBodies.set(bodyKey, seen + 1);
      const badImage = imageProblem(r.params);
      if (!canceled && badImage) {
        // Inside a batch a request the API refuses is an errored result, not a refused batch.
        return {
          custom_id: r.custom_id,
          result: {
            type: 'errored',
            error: { type: 'error', error: { type: 'invalid_request_error', message: badImage }, request_id: null },
          },
        };
      }
      const fate = canceled ? 'canceled' : outcome({ custom_id: r.custom_id, index, seen });
      switch (fate) {
        case 'succeeded':
          return {
            custom_id: r.custom_id,
            result: { type: 'succeeded', message: message(r.params, 'batch', batch.endedAt as number) },
          };
        case 'errored':
          return {
            custom_id: r.custom_id,
            result: {
              type: 'errored',
              error: {
                type: 'error',
                error: { type: 'api_error', message: 'Internal server error' },
                request_id: null,
              },
            },
          };
        case 'invalid_request':
          return {
            custom_id: r.custom_id,
            result: {
              type: 'errored',
              error: {
                type: 'error',
                error: { type: 'invalid_request_error', message: 'messages: text content blocks must be non-empty' },
                request_id: null,
              },
            },
          };
        case 'expired':
          return { custom_id: r.custom_id, result: { type: 'expired' } };
        case 'canceled':
          return { custom_id: r.custom_id, result: { type: 'canceled' } };
        default:
          throw new Error(`unknown fake outcome ${String(fate)}`);
      }
    });
  }

  function view(batch: FakeBatch): Record<string, unknown> {
    settle(batch, Date.now());
    const c = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (batch.results) for (const r of batch.results) c[r.result.type] += 1;
    else c.processing = batch.requests.length;
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: batch.results ? 'ended' : batch.canceledAt !== null ? 'canceling' : 'in_progress',
      request_counts: c,
      created_at: iso(batch.createdAt),
      expires_at: iso(batch.createdAt + 24 * 3_600_000),
      ended_at: iso(batch.endedAt),
      archived_at: null,
      cancel_initiated_at: iso(batch.canceledAt),
      results_url: batch.results ? `${url}/v1/messages/batches/${batch.id}/results` : null,
    };
  }

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': `req_${randomBytes(8).toString('hex')}`,
    });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, type: string, msg: string): void => {
    counts.rejected += 1;
    send(res, status, { type: 'error', error: { type, message: msg }, request_id: null });
  };

  async function readBody(req: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > limit) return 'too_large';
      chunks.push(c as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    return raw ? JSON.parse(raw) : undefined;
  }

  function validateParams(p: unknown, where: string): string | undefined {
    const params = p as Partial<Params> | undefined;
    if (!params || typeof params.model !== 'string') return `${where}model: Field required`;
    if (typeof params.max_tokens !== 'number' || params.max_tokens < 1) return `${where}max_tokens: must be >= 1`;
    if (!Array.isArray(params.messages) || params.messages.length === 0)
      return `${where}messages: at least one message is required`;
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', url);
    // SDK 0.x sends `x-api-key`; SDK 1.x sends the key as `Authorization: Bearer`. Both are accepted.
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const key = (req.headers['x-api-key'] as string | undefined) ?? bearer;
    const forbidden = options.forbiddenKeys ?? [];
    if (key !== options.apiKey && !forbidden.includes(key ?? '')) {
      return error(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (forbidden.includes(key ?? '')) {
      return error(
        res,
        403,
        'permission_error',
        'Your API key does not have permission to use the specified resource.',
      );
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBodyBytes) {
      req.resume();
      return error(res, 413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.');
    }
    const version = req.headers['anthropic-version'];
    if (!version) return error(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    if (!ANTHROPIC_VERSIONS.includes(String(version))) {
      return error(res, 400, 'invalid_request_error', `anthropic-version: unknown version ${version}`);
    }
    const path = u.pathname;
    if (req.method === 'POST' && path === '/v1/messages') {
      const body = await readBody(req);
      const problem = validateParams(body, '') ?? imageProblem(body as Params);
      if (problem) return error(res, 400, 'invalid_request_error', problem);
      counts.messages += 1;
      return send(res, 200, message(body as Params, 'standard', Date.now()));
    }
    if (req.method === 'POST' && path === '/v1/messages/batches') {
      const body = (await readBody(req, maxBodyBytes)) as { requests?: StoredRequest[] } | undefined | 'too_large';
      if (body === 'too_large') {
        return error(res, 413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.');
      }
      if (uploadDelayMs > 0) await new Promise((r) => setTimeout(r, uploadDelayMs));
      const requests = body?.requests;
      if (!Array.isArray(requests) || requests.length < 1 || requests.length > 100_000) {
        return error(res, 400, 'invalid_request_error', 'requests: must hold 1 to 100000 requests');
      }
      const ids = new Set<string>();
      for (const [i, r] of requests.entries()) {
        if (typeof r.custom_id !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(r.custom_id)) {
          return error(
            res,
            400,
            'invalid_request_error',
            `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`,
          );
        }
        if (ids.has(r.custom_id))
          return error(
            res,
            400,
            'invalid_request_error',
            `requests.${i}.custom_id: duplicate custom_id ${r.custom_id}`,
          );
        ids.add(r.custom_id);
        const problem = validateParams(r.params, `requests.${i}.params.`);
        if (problem) return error(res, 400, 'invalid_request_error', problem);
      }
      const now = Date.now();
      const batch: FakeBatch = {
        id: `msgbatch_${randomBytes(12).toString('hex')}`,
        requests,
        createdAt: now,
        endsAt: now + processingMs,
        canceledAt: null,
        endedAt: null,
        results: null,
      };
      batches.set(batch.id, batch);
      order.push(batch.id);
      counts.creates += 1;
      options.onCreate?.(batch.id);
      if (createDelayMs > 0) await new Promise((r) => setTimeout(r, createDelayMs));
      return send(res, 200, view(batch));
    }
    if (req.method === 'GET' && path === '/v1/messages/batches') {
      counts.lists += 1;
      const limit = Math.min(1000, Math.max(1, Number(u.searchParams.get('limit') ?? 20)));
      const newest = [...order].reverse();
      const after = u.searchParams.get('after_id');
      const before = u.searchParams.get('before_id');
      let slice: string[];
      let hasMore: boolean;
      if (before) {
        const at = newest.indexOf(before);
        const head = at < 0 ? [] : newest.slice(0, at);
        slice = head.slice(Math.max(0, head.length - limit));
        hasMore = head.length > limit;
      } else {
        const at = after ? newest.indexOf(after) : -1;
        const tail = after && at < 0 ? [] : newest.slice(at + 1);
        slice = tail.slice(0, limit);
        hasMore = tail.length > limit;
      }
      const data = slice.map((id) => view(batches.get(id) as FakeBatch));
      return send(res, 200, { data, has_more: hasMore, first_id: slice[0] ?? null, last_id: slice.at(-1) ?? null });
    }
    const m = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path);
    const batch = m?.[1] ? batches.get(m[1]) : undefined;
    if (!m || !batch) return error(res, 404, 'not_found_error', `batch ${m?.[1] ?? path} not found`);
    const tail = m[2];
    if (req.method === 'GET' && !tail) {
      counts.retrieves += 1;
      options.onRetrieve?.(batch.id);
      return send(res, 200, view(batch));
    }
    if (req.method === 'POST' && tail === '/cancel') {
      counts.cancels += 1;
      if (!batch.results && batch.canceledAt === null) batch.canceledAt = Date.now();
      return send(res, 200, view(batch));
    }
    if (req.method === 'DELETE' && !tail) {
      settle(batch, Date.now());
      if (!batch.results)
        return error(res, 400, 'invalid_request_error', `batch ${batch.id} is still processing; cancel it first`);
      batches.delete(batch.id);
      order.splice(order.indexOf(batch.id), 1);
      return send(res, 200, { id: batch.id, type: 'message_batch_deleted' });
    }
    if (req.method === 'GET' && tail === '/results') {
      settle(batch, Date.now());
      if (!batch.results) return error(res, 400, 'invalid_request_error', `batch ${batch.id} has not ended`);
      const reads = (resultReads.get(batch.id) ?? 0) + 1;
      resultReads.set(batch.id, reads);
      const lines = batch.results.map((r) => JSON.stringify(r));
      if (reads === 1 && options.cutResultsAfter !== undefined && options.cutResultsAfter < lines.length) {
        // The connection drops mid-download: some lines arrive, then the socket closes.
        res.writeHead(200, { 'content-type': 'application/binary' });
        res.write(`${lines.slice(0, options.cutResultsAfter).join('\n')}\n`);
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/binary' });
      res.end(lines.join('\n'));
      return;
    }
    return error(res, 405, 'invalid_request_error', `${req.method} ${path} is not supported`);
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) error(res, 500, 'api_error', (e as Error).message);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    batches,
    resultReads,
    counts,
    usages,
    setProcessingMs(ms) {
      processingMs = ms;
    },
    setCreateDelayMs(ms) {
      createDelayMs = ms;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
