/**
 * A fake Ollama server speaking its wire format: native `/api/chat` (with `format`,
 * `options.num_ctx`, `prompt_eval_count`, non-streaming or NDJSON streaming), `/api/generate`
 * (load; unload with `keep_alive: 0` → `done_reason: "unload"`), `/api/show` (`model_info`
 * `<arch>.context_length`), `/api/ps` (`context_length` actually allocated, `size_vram`),
 * `/api/tags`, `/api/version`, and the OpenAI-compatible `/v1/chat/completions` + `/v1/models`,
 * where `num_ctx` cannot be passed and the server default applies (4096; 2048 on old versions).
 * A prompt longer than the loaded window is cut silently and `prompt_eval_count` reports the cut
 * size, as Ollama does. Loading a model with another `num_ctx` reloads it.
 */

import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  fakeImageTokens,
  flattenOllamaMessages,
  flattenOpenAiMessages,
  type MessageProblem,
  type ReceivedImage,
} from './fake-images.ts';
import { type FakeMessage, factsPolicy, fakePromptTokens, type JudgePolicy } from './fake-judge-policy.ts';
import { type DecodingMode, decodeUnderSchema, requestSchema } from './schema-decoding.ts';

export interface FakeOllamaModel {
  name: string;
  /** The model's trained context (`<arch>.context_length` in /api/show). @default 131072 */
  trainedContext?: number;
  /** @default llama */
  architecture?: string;
  /** @default Q4_K_M */
  quantization?: string;
  /** Bytes in memory when loaded (`size` and `size_vram` in /api/ps). @default 5e9 */
  sizeBytes?: number;
  /** A vision model: `vision` among its /api/show capabilities, and it takes images. @default false */
  vision?: boolean;
}

export interface FakeOllamaOptions {
  /** @default [{ name: 'judge-model:latest' }] */
  models?: FakeOllamaModel[];
  /** The server default context (OLLAMA_CONTEXT_LENGTH / VRAM-based default). @default 4096 */
  defaultContext?: number;
  /** The largest window that fits in (fake) VRAM: a larger num_ctx is stepped down to this. */
  maxFitContext?: number;
  latencyMs?: number;
  policy?: JudgePolicy;
  /**
   * How an answer constrained by a JSON schema (`format` on /api/chat, `response_format` on
   * /v1/chat/completions) is decoded: it conforms to the schema (`guided`: the policy's values where
   * they fit; `any`: any conforming answer). @default guided
   */
  decoding?: DecodingMode;
  /** Reported by /api/version. @default 0.13.0 */
  version?: string;
  port?: number;
  /**
   * Where to report the VRAM the loaded models hold, for the fake nvidia-smi: the file
   * `<dir>/<pid>-ollama.mib` holds the sum of loaded `sizeBytes` in MiB.
   */
  vramDir?: string;
  /** Answer unload requests (`keep_alive: 0`) with `done_reason: "unload"` but keep the model loaded. */
  refuseUnload?: boolean;
  /**
   * `OLLAMA_MAX_LOADED_MODELS`: loading one more model than this first unloads the least recently
   * loaded one (Ollama's default is 3 per GPU). @default 3
   */
  maxLoadedModels?: number;
}

export interface LoadedModel {
  name: string;
  contextLength: number;
  loadedAt: number;
}

export interface RecordedOllamaChat {
  path: '/api/chat' | '/v1/chat/completions';
  body: Record<string, unknown>;
  /** The images the request carried, decoded, in order. */
  images: ReceivedImage[];
  promptTokens: number;
  reportedPromptTokens: number;
  contextLength: number;
}

export interface FakeOllama {
  url: string;
  port: number;
  readonly chats: RecordedOllamaChat[];
  /** Every load and unload, in order. */
  readonly events: Array<{ kind: 'load' | 'unload'; name: string; contextLength?: number }>;
  loaded(): LoadedModel[];
  setPolicy(policy: JudgePolicy): void;
  setDecoding(mode: DecodingMode): void;
  setLatency(ms: number): void;
  /** See {@link FakeOllamaOptions.refuseUnload}. */
  setRefuseUnload(refuse: boolean): void;
  /** VRAM the loaded models hold (MiB), as reported to the fake nvidia-smi. */
  heldVramMiB(): number;
  stop(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function withTag(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

function isZero(keepAlive: unknown): boolean {
  return keepAlive === 0 || keepAlive === '0' || keepAlive === '0s' || keepAlive === '0m';
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const models = new Map((options.models ?? [{ name: 'judge-model:latest' }]).map((m) => [withTag(m.name), m]));
  const defaultContext = options.defaultContext ?? 4096;
  let latency = options.latencyMs ?? 0;
  let policy = options.policy ?? factsPolicy();
  let decoding = options.decoding ?? 'guided';
  const loaded = new Map<string, LoadedModel>();
  const chats: RecordedOllamaChat[] = [];
  const events: FakeOllama['events'] = [];
  let index = 0;
  let refuseUnload = options.refuseUnload ?? false;
  const vramFile = options.vramDir ? `${options.vramDir}/${process.pid}-ollama.mib` : undefined;

  function heldVramMiB(): number {
    let bytes = 0;
    for (const l of loaded.values()) bytes += models.get(l.name)?.sizeBytes ?? 5e9;
    return Math.round(bytes / (1024 * 1024));
  }

  function reportVram(): void {
    if (vramFile) writeFileSync(vramFile, String(heldVramMiB()));
  }

  function find(name: unknown): FakeOllamaModel | undefined {
    return typeof name === 'string' ? models.get(withTag(name)) : undefined;
  }

  /** Loads (or reloads with another window) and returns the window allocated. */
  function load(model: FakeOllamaModel, numCtx: number | undefined): LoadedModel {
    const name = withTag(model.name);
    const wanted = numCtx ?? defaultContext;
    const context = Math.min(
      wanted,
      model.trainedContext ?? 131_072,
      options.maxFitContext ?? Number.POSITIVE_INFINITY,
    );
    const current = loaded.get(name);
    if (current && current.contextLength === context) return current;
    if (!current && loaded.size >= (options.maxLoadedModels ?? 3)) {
      const oldest = [...loaded.values()].sort((a, b) => a.loadedAt - b.loadedAt)[0];
      if (oldest) {
        loaded.delete(oldest.name);
        events.push({ kind: 'unload', name: oldest.name });
      }
    }
    const entry = { name, contextLength: context, loadedAt: Date.now() };
    loaded.set(name, entry);
    events.push({ kind: 'load', name, contextLength: context });
    reportVram();
    return entry;
  }

  function unload(model: FakeOllamaModel): void {
    const name = withTag(model.name);
    if (refuseUnload) return;
    if (loaded.delete(name)) events.push({ kind: 'unload', name });
    reportVram();
  }

  function notFound(res: ServerResponse, name: unknown): void {
    sendJson(res, 404, { error: `model '${String(name)}' not found` });
  }

  function timing(promptTokens: number, evalCount: number): Record<string, number> {
    return {
      total_duration: (latency + 1) * 1e6,
      load_duration: 1e5,
      prompt_eval_count: promptTokens,
      prompt_eval_duration: 1e6,
      eval_count: evalCount,
      eval_duration: latency * 1e6,
    };
  }

  async function generateAnswer(
    path: RecordedOllamaChat['path'],
    body: Record<string, unknown>,
    model: FakeOllamaModel,
    numCtx: number | undefined,
  ): Promise<{ content: string; reported: number; evalCount: number } | MessageProblem> {
    const raw = (body.messages ?? []) as { role: string; content: unknown; images?: unknown }[];
    // Each wire's own refusals, in Ollama's words (see fake-images.ts for the sources).
    const flat = path === '/api/chat' ? flattenOllamaMessages(raw) : flattenOpenAiMessages(raw, 'ollama');
    if ('problem' in flat) return flat;
    // A text-only model given images: refused here; this wording is the fake's own, not checked
    // against Ollama's source.
    if (flat.images.length > 0 && !model.vision) return { problem: `${model.name} does not support images` };
    // A GIF that reached this far (a `data:;base64,` URL on /v1) fails in the engine as on /api/chat.
    if (flat.images.some((i) => i.format === 'gif' || i.format === 'unknown'))
      return { problem: 'Failed to create new sequence: image: unknown format', status: 500 };
    const entry = load(model, numCtx);
    const messages: FakeMessage[] = flat.messages;
    const full = fakePromptTokens(messages) + flat.images.reduce((s, i) => s + fakeImageTokens(i), 0);
    const reported = Math.min(full, entry.contextLength);
    chats.push({
      path,
      body,
      images: flat.images,
      promptTokens: full,
      reportedPromptTokens: reported,
      contextLength: entry.contextLength,
    });
    const opts = (body.options ?? {}) as Record<string, unknown>;
    const temperature =
      typeof (opts.temperature ?? body.temperature) === 'number' ? Number(opts.temperature ?? body.temperature) : 0.8;
    const seedValue = opts.seed ?? body.seed;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const seed = typeof seedValue === 'number' ? seedValue : undefined;
    const request = index++;
    const intended = policy({ model: entry.name, messages, temperature, seed, index: request });
    // A schema in `format` (native) or `response_format` (OpenAI path) constrains the decoding.
    const schema =
      path === '/api/chat' && body.format && typeof body.format === 'object'
        ? (body.format as Record<string, unknown>)
        : requestSchema(body);
    const content = schema ? decodeUnderSchema(schema, intended, decoding, (seed ?? 0) + request * 7919) : intended;
    return { content, reported, evalCount: Math.ceil(content.length / 4) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const now = new Date().toISOString();
    if (req.method === 'GET' && (path === '/' || path === '/api/version')) {
      if (path === '/') res.writeHead(200, { 'content-type': 'text/plain' }).end('Ollama is running');
      else sendJson(res, 200, { version: options.version ?? '0.13.0' });
      return;
    }
    if (req.method === 'GET' && path === '/api/tags') {
      sendJson(res, 200, {
        models: [...models.values()].map((m) => ({
          name: withTag(m.name),
          model: withTag(m.name),
          modified_at: now,
          size: m.sizeBytes ?? 5e9,
          digest: 'f'.repeat(64),
          details: {
            format: 'gguf',
            family: m.architecture ?? 'llama',
            families: [m.architecture ?? 'llama'],
            parameter_size: '8B',
            quantization_level: m.quantization ?? 'Q4_K_M',
          },
        })),
      });
      return;
    }
    if (req.method === 'GET' && path === '/api/ps') {
      sendJson(res, 200, {
        models: [...loaded.values()].map((l) => {
          const m = models.get(l.name) as FakeOllamaModel;
          return {
            name: l.name,
            model: l.name,
            size: m.sizeBytes ?? 5e9,
            digest: 'f'.repeat(64),
            details: {
              parent_model: '',
              format: 'gguf',
              family: m.architecture ?? 'llama',
              families: [m.architecture ?? 'llama'],
              parameter_size: '8B',
              quantization_level: m.quantization ?? 'Q4_K_M',
            },
            expires_at: new Date(l.loadedAt + 300_000).toISOString(),
            size_vram: m.sizeBytes ?? 5e9,
            context_length: l.contextLength,
          };
        }),
      });
      return;
    }
    if (req.method === 'POST' && path === '/api/show') {
      const body = await readBody(req);
      const model = find(body.model ?? body.name);
      if (!model) return notFound(res, body.model ?? body.name);
      const arch = model.architecture ?? 'llama';
      sendJson(res, 200, {
        modelfile: `FROM ${withTag(model.name)}`,
        parameters: 'stop "<|eot_id|>"',
        template: '{{ .Prompt }}',
        details: {
          parent_model: '',
          format: 'gguf',
          family: arch,
          families: [arch],
          parameter_size: '8B',
          quantization_level: model.quantization ?? 'Q4_K_M',
        },
        model_info: {
          'general.architecture': arch,
          'general.parameter_count': 8e9,
          [`${arch}.context_length`]: model.trainedContext ?? 131_072,
        },
        capabilities: model.vision ? ['completion', 'vision'] : ['completion'],
        modified_at: now,
      });
      return;
    }
    if (req.method === 'POST' && (path === '/api/generate' || path === '/api/chat')) {
      const body = await readBody(req);
      const model = find(body.model);
      if (!model) return notFound(res, body.model);
      const numCtx = (body.options as { num_ctx?: number } | undefined)?.num_ctx;
      const empty =
        path === '/api/generate' ? !body.prompt : !Array.isArray(body.messages) || body.messages.length === 0;
      if (empty) {
        const reason = isZero(body.keep_alive) ? 'unload' : 'load';
        if (reason === 'unload') unload(model);
        else load(model, numCtx);
        const base = { model: withTag(model.name), created_at: now, done: true, done_reason: reason };
        sendJson(
          res,
          200,
          path === '/api/chat' ? { ...base, message: { role: 'assistant', content: '' } } : { ...base, response: '' },
        );
        return;
      }
      if (path === '/api/generate') {
        body.messages = [{ role: 'user', content: String(body.prompt) }];
      }
      const answer = await generateAnswer('/api/chat', body, model, numCtx);
      if ('problem' in answer) {
        sendJson(res, answer.status ?? 400, { error: answer.problem });
        return;
      }
      if (isZero(body.keep_alive)) unload(model);
      const payload = (content: string, done: boolean): Record<string, unknown> => ({
        model: withTag(model.name),
        created_at: new Date().toISOString(),
        ...(path === '/api/chat' ? { message: { role: 'assistant', content } } : { response: content }),
        done,
        ...(done ? { done_reason: 'stop', ...timing(answer.reported, answer.evalCount) } : {}),
      });
      if (body.stream === false) {
        sendJson(res, 200, payload(answer.content, true));
      } else {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write(`${JSON.stringify(payload(answer.content, false))}\n`);
        res.end(`${JSON.stringify(payload('', true))}\n`);
      }
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [...models.values()].map((m) => ({
          id: withTag(m.name),
          object: 'model',
          created: 0,
          owned_by: 'library',
        })),
      });
      return;
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const body = await readBody(req);
      const model = find(body.model);
      if (!model) {
        sendJson(res, 404, {
          error: {
            message: `model "${String(body.model)}" not found, try pulling it first`,
            type: 'api_error',
            param: null,
            code: null,
          },
        });
        return;
      }
      // No `options` on this path: any num_ctx in the body is ignored and the server default applies.
      const answer = await generateAnswer('/v1/chat/completions', body, model, undefined);
      if ('problem' in answer) {
        // openai.NewError (openai/openai.go): 400 is `invalid_request_error`, any other status `api_error`.
        const status = answer.status ?? 400;
        sendJson(res, status, {
          error: {
            message: answer.problem,
            type: status === 400 ? 'invalid_request_error' : 'api_error',
            param: null,
            code: null,
          },
        });
        return;
      }
      sendJson(res, 200, {
        id: `chatcmpl-${index}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: withTag(model.name),
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, message: { role: 'assistant', content: answer.content }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: answer.reported,
          completion_tokens: answer.evalCount,
          total_tokens: answer.reported + answer.evalCount,
        },
      });
      return;
    }
    sendJson(res, 404, { error: '404 page not found' });
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    chats,
    events,
    loaded: () => [...loaded.values()],
    setPolicy(p) {
      policy = p;
    },
    setDecoding(mode) {
      decoding = mode;
    },
    setLatency(ms) {
      latency = ms;
    },
    setRefuseUnload(refuse) {
      refuseUnload = refuse;
    },
    heldVramMiB,
    stop() {
      if (vramFile) rmSync(vramFile, { force: true });
      stopped ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
