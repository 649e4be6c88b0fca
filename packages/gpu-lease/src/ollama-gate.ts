import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, silentLogger } from '@gavel/core';
import type { LeaseRecord } from './lease.ts';

/** Ollama endpoints that load a model onto the card; everything else (tags, ps, show, version) passes. */
const LOADING_PATHS = new Set([
  '/api/generate',
  '/api/chat',
  '/api/embed',
  '/api/embeddings',
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/responses',
]);

/** Whether a request may reach Ollama given the lease: loading requests are refused while a vLLM (judge or SUT) owns the card. */
export function gateDecision(method: string, path: string, lease: LeaseRecord | undefined): 'pass' | 'refuse' {
  if (!lease || lease.owner === 'ollama') return 'pass';
  return method === 'POST' && LOADING_PATHS.has(path) ? 'refuse' : 'pass';
}

export interface OllamaGateOptions {
  /** Ollama's own address, e.g. http://127.0.0.1:11434. */
  upstream: string;
  host: string;
  port: number;
  retryAfterS: number;
  /** The lease as last seen (from a {@link LeaseWatch}). */
  lease: () => LeaseRecord | undefined;
  logger?: Logger;
}

export interface OllamaGate {
  url: string;
  port: number;
  readonly counts: { passed: number; refused: number };
  close(): Promise<void>;
}

/**
 * A small HTTP proxy in front of Ollama. While vLLM owns the card it answers model-loading
 * requests with 503 and `Retry-After` (in Ollama's `{ error }` shape, or OpenAI's on `/v1/*`);
 * otherwise it streams requests and responses through unchanged (NDJSON / SSE included).
 */
export async function startOllamaGate(options: OllamaGateOptions): Promise<OllamaGate> {
  const log = (options.logger ?? silentLogger).child({ component: 'ollama-gate' });
  const upstream = new URL(options.upstream);
  const counts = { passed: 0, refused: 0 };

  const refuse = (path: string, res: ServerResponse, lease: LeaseRecord): void => {
    counts.refused++;
    const message = `the GPU is lent to the vLLM batch judge (lease token ${lease.token}, phase ${lease.phase}); retry in ${options.retryAfterS}s`;
    const body = path.startsWith('/v1/')
      ? { error: { message, type: 'service_unavailable', param: null, code: 503 } }
      : { error: message };
    const text = JSON.stringify(body);
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'retry-after': String(options.retryAfterS),
    });
    res.end(text);
  };

  const pass = (req: IncomingMessage, res: ServerResponse): void => {
    counts.passed++;
    const headers = { ...req.headers, host: upstream.host };
    const proxied = httpRequest(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    proxied.on('error', (error) => {
      log.warn({ err: error }, 'Ollama unreachable');
      if (!res.headersSent) {
        const text = JSON.stringify({ error: `Ollama at ${options.upstream} unreachable: ${error.message}` });
        res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
        res.end(text);
      } else {
        res.destroy(error);
      }
    });
    res.on('close', () => {
      if (!res.writableFinished) proxied.destroy();
    });
    req.pipe(proxied);
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const lease = options.lease();
    if (gateDecision(req.method ?? 'GET', path, lease) === 'refuse' && lease) {
      req.resume();
      refuse(path, res, lease);
      return;
    }
    pass(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  log.info({ port, upstream: options.upstream }, 'Ollama gate listening');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    counts,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
