/**
 * The Batch API's objects as the fake (`openai-batches.ts`) keeps them (openai-node
 * `resources/batches.ts`, `files.ts`), and the validation of a batch's input file.
 */

export const BATCH_ENDPOINTS = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/moderations',
] as const;

export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: 'processed';
  expires_at: number | null;
  status_details: null;
}

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

export interface BatchObject {
  id: string;
  object: 'batch';
  endpoint: string;
  model?: string;
  errors: {
    object: 'list';
    data: { code: string; message: string; param: string | null; line: number | null }[];
  } | null;
  input_file_id: string;
  completion_window: '24h';
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
}

export type BatchLine = { custom_id: string; body: Record<string, unknown> };

/**
 * The batch's lines, or the validation errors that fail it: each line JSON, a unique `custom_id`,
 * `method: "POST"`, `url` equal to the batch's endpoint, a body, one model across the file.
 */
export function validateBatchInput(
  batch: BatchObject,
  bytes: Buffer,
): { lines: BatchLine[]; errors: NonNullable<BatchObject['errors']>['data'] } {
  const lines: BatchLine[] = [];
  const errors: NonNullable<BatchObject['errors']>['data'] = [];
  const ids = new Set<string>();
  let model: unknown;
  const text = bytes.toString('utf8').split('\n');
  text.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      errors.push({
        code: 'invalid_json_line',
        message: 'This line is not parseable as valid JSON.',
        param: null,
        line,
      });
      return;
    }
    const customId = value.custom_id;
    if (typeof customId !== 'string' || customId === '') {
      errors.push({
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'custom_id'.",
        param: 'custom_id',
        line,
      });
      return;
    }
    if (ids.has(customId)) {
      errors.push({
        code: 'duplicate_custom_id',
        message:
          'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each individual request in a batch.',
        param: 'custom_id',
        line,
      });
      return;
    }
    ids.add(customId);
    if (value.method !== 'POST') {
      errors.push({
        code: 'invalid_method',
        message: "The 'method' of each request must be POST.",
        param: 'method',
        line,
      });
      return;
    }
    if (value.url !== batch.endpoint) {
      errors.push({
        code: 'mismatched_endpoint',
        message: `The url of this request does not match the batch's endpoint ${batch.endpoint}.`,
        param: 'url',
        line,
      });
      return;
    }
    const body = value.body;
    if (typeof body !== 'object' || body === null) {
      errors.push({
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'body'.",
        param: 'body',
        line,
      });
      return;
    }
    const m = (body as Record<string, unknown>).model;
    if (model === undefined) model = m;
    else if (m !== model) {
      errors.push({
        code: 'mismatched_model',
        message: 'All requests in a batch must use the same model.',
        param: 'body.model',
        line,
      });
      return;
    }
    lines.push({ custom_id: customId, body: body as Record<string, unknown> });
  });
  if (lines.length === 0 && errors.length === 0)
    errors.push({ code: 'empty_file', message: 'The input file is empty.', param: null, line: null });
  if (typeof model === 'string') batch.model = model;
  return { lines, errors };
}
