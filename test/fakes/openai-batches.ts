/**
 * The OpenAI Batch API as a fake, mounted on the fake SUT server (`openai-sut-server.ts`), speaking
 * the documented wire format (openai-node `resources/batches.ts`, `files.ts`; the Batch API guide):
 * - `POST /v1/files` (multipart: `purpose`, `file`) → a File object; `GET /v1/files/{id}` and
 *   `GET /v1/files/{id}/content` (the bytes);
 * - `POST /v1/batches { input_file_id, endpoint, completion_window: "24h", metadata }` → a Batch
 *   (`validating`), refused with 400 for an unknown file, a file not of purpose `batch`, an
 *   unsupported endpoint or window, or metadata over its limits;
 * - `GET /v1/batches/{id}`, `GET /v1/batches?limit&after` (newest first, a cursor page),
 *   `POST /v1/batches/{id}/cancel` (`cancelling`, then `cancelled` with partial results).
 * A batch is validated line by line (JSON, a unique `custom_id`, `method: "POST"`, `url` equal to
 * the batch's endpoint, one model): a bad line fails the whole batch (`failed`, `errors.data[]`
 * with the line number). Then each line is answered by the same code as the synchronous route;
 * its output line `{ id, custom_id, response: { status_code, request_id, body }, error: null }`
 * goes to the output file (200) or the error file (any other status). The knobs make answers our
 * code would not like, all of them documented outcomes: errored lines (a 5xx or 429 response
 * inside the batch), a batch that expires after k requests (the rest in the error file with
 * `error.code: "batch_expired"`, `response: null`), and a batch that fails validation.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BATCH_ENDPOINTS,
  type BatchObject,
  type BatchStatus,
  type FileObject,
  validateBatchInput,
} from './openai-batch-input.ts';

export type { BatchObject, BatchStatus, FileObject } from './openai-batch-input.ts';

export interface LineFaultContext {
  /** Index of the batch among all created (0 first). */
  batchIndex: number;
  lineIndex: number;
  customId: string;
  body: Record<string, unknown>;
}

export interface FakeBatchesOptions {
  /** Answers one request body as the synchronous endpoint does. */
  answer(body: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
  /** A line answered with this HTTP error inside the batch (e.g. 500 `server_error`) instead. */
  lineFault?: (ctx: LineFaultContext) => { status: number; type: string; message: string } | undefined;
  /** The batch at this index (of `requests` lines) expires after processing this many requests. */
  expireAfter?: (batchIndex: number, requests: number) => number | undefined;
  /** The batch at this index fails validation with this error (a documented `failed` batch). */
  failValidation?: (batchIndex: number) => { code: string; message: string; line?: number | null } | undefined;
  /** Runs once the batch exists, before the create call is answered (a test may kill its client here). */
  onBatchCreated?: (batch: BatchObject) => void | Promise<void>;
  /** How long a batch stays `validating`, and how long finalizing takes. @default 20 */
  stepMs?: number;
}

export interface FakeBatches {
  /** Handles a `/v1/files` or `/v1/batches` request; false for any other route. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** Every batch created, in creation order. */
  readonly batches: readonly BatchObject[];
  readonly counts: {
    uploads: number;
    creates: number;
    retrieves: number;
    lists: number;
    cancels: number;
    contents: number;
  };
  /** Lines answered 200 per custom_id (a custom_id above 1 was generated twice). */
  readonly answered: Map<string, number>;
  /** Resolves once every batch created so far has reached a final status. */
  settled(): Promise<void>;
}

/** Read through a call: a cancel changes a batch's status while it is being processed. */
const statusOf = (b: BatchObject): BatchStatus => b.status;
const now = (): number => Math.floor(Date.now() / 1000);
const rid = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function invalid(res: ServerResponse, message: string, param: string | null, status = 400): void {
  send(res, status, { error: { message, type: 'invalid_request_error', param, code: null } });
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function createFakeBatches(options: FakeBatchesOptions): FakeBatches {
  const files = new Map<string, { meta: FileObject; bytes: Buffer }>();
  const batches: BatchObject[] = [];
  const runs: Promise<void>[] = [];
  const answered = new Map<string, number>();
  const counts = { uploads: 0, creates: 0, retrieves: 0, lists: 0, cancels: 0, contents: 0 };
  const stepMs = options.stepMs ?? 20;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function putFile(bytes: Buffer, filename: string, purpose: string): FileObject {
    const meta: FileObject = {
      id: rid('file-'),
      object: 'file',
      bytes: bytes.length,
      created_at: now(),
      filename,
      purpose,
      status: 'processed',
      expires_at: purpose === 'batch' ? now() + 30 * 86400 : null,
      status_details: null,
    };
    files.set(meta.id, { meta, bytes });
    return meta;
  }

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readRaw(req);
    let form: FormData;
    try {
      form = await new Request('http://fake/v1/files', {
        method: 'POST',
        headers: { 'content-type': String(req.headers['content-type'] ?? '') },
        body: raw,
      }).formData();
    } catch {
      return invalid(res, 'Invalid multipart form data.', null);
    }
    const purpose = form.get('purpose');
    const file = form.get('file');
    if (typeof purpose !== 'string') return invalid(res, "Missing required parameter: 'purpose'.", 'purpose');
    if (!['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'].includes(purpose))
      return invalid(res, `Invalid value for 'purpose': '${purpose}'.`, 'purpose');
    if (!(file instanceof Blob)) return invalid(res, "Missing required parameter: 'file'.", 'file');
    counts.uploads += 1;
    const name = file instanceof File ? file.name : 'upload';
    send(res, 200, putFile(Buffer.from(await file.arrayBuffer()), name, purpose));
  }

  async function process(batch: BatchObject, index: number): Promise<void> {
    await sleep(stepMs);
    const input = files.get(batch.input_file_id);
    const { lines, errors } = validateBatchInput(batch, input?.bytes ?? Buffer.alloc(0));
    const forced = options.failValidation?.(index);
    if (forced) errors.push({ code: forced.code, message: forced.message, param: null, line: forced.line ?? null });
    if (errors.length > 0) {
      batch.status = 'failed';
      batch.failed_at = now();
      batch.errors = { object: 'list', data: errors };
      return;
    }
    if (batch.status === 'cancelling') {
      batch.status = 'cancelled';
      batch.cancelled_at = now();
      return;
    }
    batch.status = 'in_progress';
    batch.in_progress_at = now();
    batch.request_counts.total = lines.length;
    const out: string[] = [];
    const err: string[] = [];
    const expireAt = options.expireAfter?.(index, lines.length);
    let ended: 'expired' | 'cancelled' | undefined;
    for (const [i, line] of lines.entries()) {
      if (!ended && statusOf(batch) === 'cancelling') ended = 'cancelled';
      if (!ended && expireAt !== undefined && i >= expireAt) ended = 'expired';
      if (ended) {
        err.push(
          JSON.stringify({
            id: rid('batch_req_'),
            custom_id: line.custom_id,
            response: null,
            error:
              ended === 'expired'
                ? {
                    code: 'batch_expired',
                    message: 'This request could not be executed before the completion window expired.',
                  }
                : {
                    code: 'batch_cancelled',
                    message: 'This request was not executed because the batch was cancelled.',
                  },
          }),
        );
        batch.request_counts.failed += 1;
        continue;
      }
      const fault = options.lineFault?.({ batchIndex: index, lineIndex: i, customId: line.custom_id, body: line.body });
      const answer = fault
        ? {
            status: fault.status,
            body: { error: { message: fault.message, type: fault.type, param: null, code: null } },
          }
        : await options.answer(line.body);
      const row = JSON.stringify({
        id: rid('batch_req_'),
        custom_id: line.custom_id,
        response: { status_code: answer.status, request_id: rid('req_'), body: answer.body },
        error: null,
      });
      if (answer.status === 200) {
        out.push(row);
        answered.set(line.custom_id, (answered.get(line.custom_id) ?? 0) + 1);
        batch.request_counts.completed += 1;
      } else {
        err.push(row);
        batch.request_counts.failed += 1;
      }
    }
    if (ended !== 'cancelled' && ended !== 'expired') {
      batch.status = 'finalizing';
      batch.finalizing_at = now();
      await sleep(stepMs);
    }
    if (out.length > 0)
      batch.output_file_id = putFile(Buffer.from(`${out.join('\n')}\n`), 'batch_output.jsonl', 'batch_output').id;
    if (err.length > 0)
      batch.error_file_id = putFile(Buffer.from(`${err.join('\n')}\n`), 'batch_errors.jsonl', 'batch_output').id;
    if (ended === 'expired') {
      batch.status = 'expired';
      batch.expired_at = now();
    } else if (ended === 'cancelled' || statusOf(batch) === 'cancelling') {
      batch.status = 'cancelled';
      batch.cancelled_at = now();
    } else {
      batch.status = 'completed';
      batch.completed_at = now();
    }
  }

  async function create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse((await readRaw(req)).toString('utf8')) as Record<string, unknown>;
    } catch {
      return invalid(res, 'We could not parse the JSON body of your request.', null);
    }
    const fileId = body.input_file_id;
    const file = typeof fileId === 'string' ? files.get(fileId) : undefined;
    if (!file) return invalid(res, `Invalid 'input_file_id': '${String(fileId)}'. No such file.`, 'input_file_id', 404);
    if (file.meta.purpose !== 'batch')
      return invalid(res, `The input file ${file.meta.id} must be uploaded with purpose 'batch'.`, 'input_file_id');
    if (!BATCH_ENDPOINTS.includes(body.endpoint as (typeof BATCH_ENDPOINTS)[number]))
      return invalid(res, `Invalid value for 'endpoint': '${String(body.endpoint)}'.`, 'endpoint');
    if (body.completion_window !== '24h')
      return invalid(
        res,
        `Invalid value for 'completion_window': '${String(body.completion_window)}'. Supported values are: '24h'.`,
        'completion_window',
      );
    const metadata = (body.metadata ?? null) as Record<string, string> | null;
    if (metadata) {
      const entries = Object.entries(metadata);
      if (entries.length > 16 || entries.some(([k, v]) => k.length > 64 || typeof v !== 'string' || v.length > 512))
        return invalid(
          res,
          "Invalid 'metadata': at most 16 keys of up to 64 characters, string values of up to 512.",
          'metadata',
        );
    }
    const created = now();
    const batch: BatchObject = {
      id: rid('batch_'),
      object: 'batch',
      endpoint: body.endpoint as string,
      errors: null,
      input_file_id: file.meta.id,
      completion_window: '24h',
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: created,
      in_progress_at: null,
      expires_at: created + 86400,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata,
    };
    counts.creates += 1;
    const index = batches.length;
    batches.push(batch);
    // The batch runs on the server whatever becomes of the client that asked for it.
    runs.push(process(batch, index).catch(() => undefined));
    await options.onBatchCreated?.(batch);
    if (!res.destroyed) send(res, 200, batch);
  }

  function list(url: URL, res: ServerResponse): void {
    counts.lists += 1;
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 20)));
    let rows = [...batches].reverse();
    const after = url.searchParams.get('after');
    if (after) {
      const at = rows.findIndex((b) => b.id === after);
      rows = at >= 0 ? rows.slice(at + 1) : [];
    }
    const data = rows.slice(0, limit);
    send(res, 200, {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: rows.length > limit,
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const path = url.pathname;
    const fail = (e: unknown) => {
      if (!res.headersSent)
        send(res, 500, { error: { message: String(e), type: 'server_error', param: null, code: null } });
    };
    if (path === '/v1/files' && req.method === 'POST') {
      upload(req, res).catch(fail);
      return true;
    }
    const fileMatch = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
    if (fileMatch && req.method === 'GET') {
      const file = files.get(fileMatch[1] as string);
      if (!file) {
        invalid(res, `No such File object: ${fileMatch[1]}`, 'id', 404);
        return true;
      }
      if (fileMatch[2]) {
        counts.contents += 1;
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(file.bytes);
      } else send(res, 200, file.meta);
      return true;
    }
    if (path === '/v1/batches' && req.method === 'POST') {
      create(req, res).catch(fail);
      return true;
    }
    if (path === '/v1/batches' && req.method === 'GET') {
      list(url, res);
      return true;
    }
    const batchMatch = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (batchMatch) {
      const batch = batches.find((b) => b.id === batchMatch[1]);
      if (!batch) {
        invalid(res, `No batch found with id '${batchMatch[1]}'.`, 'batch_id', 404);
        return true;
      }
      if (batchMatch[2] && req.method === 'POST') {
        counts.cancels += 1;
        if (['validating', 'in_progress', 'finalizing'].includes(batch.status)) {
          batch.status = 'cancelling';
          batch.cancelling_at = now();
        }
        send(res, 200, batch);
        return true;
      }
      if (!batchMatch[2] && req.method === 'GET') {
        counts.retrieves += 1;
        send(res, 200, batch);
        return true;
      }
    }
    return false;
  }

  return {
    handle,
    batches,
    counts,
    answered,
    async settled() {
      await Promise.all(runs);
    },
  };
}
