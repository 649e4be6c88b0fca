import type { CreatedBatch, RecoveryApi } from '@gavel/queue';
import OpenAI, { toFile } from 'openai';
import { z } from 'zod';
import type { SutConfig } from './sut-config.ts';

/** The metadata key a batch carries its submit intent's key under (recovery finds it by it). */
export const INTENT_METADATA_KEY = 'gavel_intent';

/** One line of a batch's input file (the Batch API's request input object). */
export interface BatchInputLine {
  custom_id: string;
  method: 'POST';
  url: '/v1/chat/completions';
  body: Record<string, unknown>;
}

/** One line of a batch's output or error file (the Batch API's request output object). */
export const BatchOutputLine = z.object({
  id: z.string().optional(),
  custom_id: z.string(),
  response: z
    .object({ status_code: z.number().int(), request_id: z.string().nullable().optional(), body: z.unknown() })
    .nullable()
    .optional(),
  error: z
    .object({ code: z.string().nullable().optional(), message: z.string().nullable().optional() })
    .nullable()
    .optional(),
});
export type BatchOutputLine = z.infer<typeof BatchOutputLine>;

/** Statuses after which a batch changes no more (its files are final). */
export const FINAL_STATUSES: ReadonlySet<OpenAI.Batch['status']> = new Set([
  'completed',
  'failed',
  'expired',
  'cancelled',
]);

/** The OpenAI Batch API as the generate stage's batch mode uses it. */
export interface SutBatchApi {
  readonly model: string;
  readonly url: string;
  /** Deadline of one create call (an intent younger than this may still become a batch). */
  readonly timeoutMs: number;
  /** Uploads the JSONL (`purpose: batch`) and creates the batch with the intent key as metadata; no retries. */
  create(lines: readonly BatchInputLine[], intentKey: string, signal: AbortSignal): Promise<CreatedBatch>;
  retrieve(batchId: string, signal: AbortSignal): Promise<OpenAI.Batch>;
  cancel(batchId: string, signal: AbortSignal): Promise<void>;
  /** The lines of an output or error file; a line that is not a request output object names its number. */
  fileLines(fileId: string, signal: AbortSignal): Promise<BatchOutputLine[]>;
  /** Intent recovery's view: batches listed newest first, identified by their intent metadata. */
  readonly recovery: RecoveryApi;
}

/** Builds the Batch API client of the SUT endpoint (no network until used); its errors are the SDK's, mapped by the stage. */
export function createSutBatchApi(config: SutConfig): SutBatchApi {
  const client = new OpenAI({
    baseURL: `${config.url}/v1`,
    apiKey: config.apiKey ?? 'EMPTY',
    maxRetries: 2,
    timeout: config.requestTimeoutMs,
  });
  const where = `SUT batch API at ${config.url}`;
  return {
    model: config.model,
    url: config.url,
    timeoutMs: config.requestTimeoutMs,

    async create(lines, intentKey, signal) {
      const jsonl = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
      // The upload may be retried (a second file costs nothing); the create may not: a timed-out
      // create may have made the batch, and recovery finds it by its metadata.
      const file = await client.files.create(
        { file: await toFile(Buffer.from(jsonl), `gavel-${intentKey}.jsonl`), purpose: 'batch' },
        { signal },
      );
      const batch = await client.batches.create(
        {
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
          metadata: { [INTENT_METADATA_KEY]: intentKey },
        },
        { signal, maxRetries: 0 },
      );
      return { id: batch.id, createdAt: batch.created_at * 1000 };
    },

    retrieve(batchId, signal) {
      return client.batches.retrieve(batchId, { signal });
    },

    async cancel(batchId, signal) {
      await client.batches.cancel(batchId, { signal });
    },

    async fileLines(fileId, signal) {
      const text = await (await client.files.content(fileId, { signal })).text();
      const out: BatchOutputLine[] = [];
      text.split('\n').forEach((raw, i) => {
        if (raw.trim() === '') return;
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          throw new Error(`${where}: file ${fileId} line ${i + 1} is not JSON`);
        }
        const parsed = BatchOutputLine.safeParse(value);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new Error(
            `${where}: file ${fileId} line ${i + 1}: ${issue?.path.join('.') || 'line'}: ${issue?.message} (not a batch request output)`,
          );
        }
        out.push(parsed.data);
      });
      return out;
    },

    recovery: {
      async *list(signal) {
        for await (const batch of client.batches.list({ limit: 100 }, { signal })) {
          yield {
            id: batch.id,
            createdAt: batch.created_at * 1000,
            ended: FINAL_STATUSES.has(batch.status),
            // A batch still validating has no counts yet: its size is only known from its metadata.
            total: batch.request_counts?.total ?? 0,
            intentKey: batch.metadata?.[INTENT_METADATA_KEY] ?? '',
          };
        }
      },
      async *resultIds() {
        // Never asked: every listed batch carries its intent key.
      },
    },
  };
}
