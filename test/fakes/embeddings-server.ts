/**
 * A fake embedding server speaking both wire formats gavel reads:
 * - OpenAI / vLLM `POST /v1/embeddings` `{ model, input: string | string[], encoding_format?: "float" |
 *   "base64", dimensions? }` → `{ object: "list", data: [{ object: "embedding", index, embedding }], model,
 *   usage: { prompt_tokens, total_tokens } }` (base64: little-endian float32, as OpenAI sends it); vectors
 *   are not normalized (the API does not promise it, and vLLM's pooling may not);
 * - Ollama `POST /api/embed` `{ model, input: string | string[], truncate?, keep_alive? }` →
 *   `{ model, embeddings: number[][], total_duration, load_duration, prompt_eval_count }`, L2-normalized
 *   as Ollama returns them; an unknown model is a 404 `{ error }`.
 * A text's vector is {@link fakeVector}: the sum of a pseudo-random vector per word (from its sha256),
 * so texts sharing words are near — and a test computes the expected cosines from it independently.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_DIMENSIONS = 16;

/** The (unnormalized) vector the fake gives `text`. */
export function fakeVector(text: string, dimensions = FAKE_DIMENSIONS): number[] {
  const out = new Array<number>(dimensions).fill(0.25);
  for (const word of text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)) {
    const digest = createHash('sha256').update(word).digest();
    for (let i = 0; i < dimensions; i++)
      out[i] = (out[i] as number) + ((digest[i % digest.length] as number) - 127.5) / 127.5;
  }
  return out;
}

function normalized(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v : v.map((x) => x / norm);
}

export interface FakeEmbeddings {
  url: string;
  /** Every request's number of input texts, in arrival order. */
  readonly batches: number[];
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startFakeEmbeddings(options: { model?: string } = {}): Promise<FakeEmbeddings> {
  const model = options.model ?? 'embed-model';
  const batches: number[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method !== 'POST' || (path !== '/v1/embeddings' && path !== '/api/embed')) {
      return send(
        res,
        404,
        path.startsWith('/api')
          ? { error: 'not found' }
          : { error: { message: 'Not found', type: 'invalid_request_error' } },
      );
    }
    void readJson(req).then((body) => {
      const openai = path === '/v1/embeddings';
      const input = body?.input;
      const texts =
        typeof input === 'string'
          ? [input]
          : Array.isArray(input) && input.every((t) => typeof t === 'string')
            ? (input as string[])
            : undefined;
      if (!body || !texts || texts.length === 0) {
        return openai
          ? send(res, 400, {
              error: {
                message: "'input' : input must be a string or an array of strings",
                type: 'invalid_request_error',
                param: 'input',
                code: null,
              },
            })
          : send(res, 400, { error: 'invalid input type' });
      }
      if (body.model !== model) {
        return openai
          ? send(res, 404, {
              error: {
                message: `The model \`${String(body.model)}\` does not exist`,
                type: 'invalid_request_error',
                param: null,
                code: 'model_not_found',
              },
            })
          : send(res, 404, { error: `model "${String(body.model)}" not found, try pulling it first` });
      }
      batches.push(texts.length);
      const tokens = texts.reduce((s, t) => s + Math.ceil(t.length / 4), 0);
      if (!openai) {
        return send(res, 200, {
          model,
          embeddings: texts.map((t) => normalized(fakeVector(t))),
          total_duration: 1000,
          load_duration: 10,
          prompt_eval_count: tokens,
        });
      }
      const base64 = body.encoding_format === 'base64';
      send(res, 200, {
        object: 'list',
        data: texts.map((t, index) => {
          const v = fakeVector(t);
          return {
            object: 'embedding',
            index,
            embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
          };
        }),
        model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    batches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
