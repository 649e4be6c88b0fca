import { randomUUID } from 'node:crypto';
import type { Logger } from '@gavel/core';
import type { BatchRecord, SubmitIntent } from './batch-records.ts';
import { intentRequestIds, submittedStates } from './batch-records.ts';
import type { BatchStore } from './batch-store.ts';
import { intentKeyFor } from './custom-id.ts';
import type { HeldLock } from './held-lock.ts';

/** Clock skew allowed between this host and the API when matching a batch to an intent. */
const INTENT_SKEW_MS = 60_000;

/** A sample's requests in a batch being sent: the sample, its attempt and custom_id (the one its state holds). */
export interface IntentMember {
  sampleId: string;
  attempt: number;
  customId: string;
  /** Every request's custom_id where the sample sends more than one (a pair's two orders); else `[customId]`. */
  requestIds?: readonly string[];
}

/** A batch the provider created: its id and creation time (ms). */
export interface CreatedBatch {
  id: string;
  createdAt: number;
}

/** What became of a request set handed to {@link sendWithIntent}. */
export type SendOutcome =
  | { kind: 'committed'; intent: SubmitIntent; record: BatchRecord }
  /** A recovery running beside the create adopted this very batch: it is committed. */
  | { kind: 'adopted-meanwhile'; batchId: string }
  /** The flush lock was lost before the create: nothing was sent. */
  | { kind: 'lock-lost' }
  /** Created for an intent no longer open: recorded as a duplicate and cancelled. */
  | { kind: 'duplicate'; batchId: string };

export interface SendWithIntent {
  batches: BatchStore;
  runId: string;
  model: string;
  lock: HeldLock;
  log: Logger;
  members: readonly IntentMember[];
  /**
   * Creates the batch (no SDK retries: a timed-out create may have created it, and recovery finds
   * it). An error with a numeric `status` is an HTTP answer: no batch was created.
   */
  create(intent: SubmitIntent): Promise<CreatedBatch>;
  cancel(batchId: string): Promise<void>;
}

/**
 * Sends one request set as a batch, crash-safe: the intent first (its key derived from the
 * custom_ids), the create call, then the commit, which succeeds only while the intent is open and
 * the samples still pending. A batch created for an intent that is no longer open (this flusher
 * lost its lock and another took over) is a duplicate: it is recorded and cancelled. A create that
 * throws rethrows, the intent dropped only when the API answered (else recovery settles it).
 */
export async function sendWithIntent(s: SendWithIntent): Promise<SendOutcome> {
  const { batches, runId, log } = s;
  const customIds = s.members.map((m) => m.customId);
  const requestIds = s.members.flatMap((m) => m.requestIds ?? [m.customId]);
  const intent: SubmitIntent = {
    key: intentKeyFor(runId, requestIds),
    run_id: runId,
    sample_ids: s.members.map((m) => m.sampleId),
    custom_ids: customIds,
    attempts: s.members.map((m) => m.attempt),
    at: Date.now(),
    batch_id: null,
    owner: randomUUID(),
    ...(requestIds.length > customIds.length ? { request_ids: requestIds } : {}),
  };
  await batches.writeIntent(intent);
  if (!(await s.lock.stillHeld())) {
    await batches.dropIntent(runId, intent.key);
    log.warn({ runId, intent: intent.key }, 'flush lock lost before the batch was created; nothing sent');
    return { kind: 'lock-lost' };
  }
  let created: CreatedBatch;
  try {
    created = await s.create(intent);
  } catch (e) {
    // An HTTP error answer means no batch was created; a lost connection or a timeout may have created one.
    if (typeof (e as { status?: unknown })?.status === 'number') await batches.dropIntent(runId, intent.key);
    throw e;
  }
  const record: BatchRecord = {
    batch_id: created.id,
    run_id: runId,
    model: s.model,
    intent: intent.key,
    custom_ids: requestIds,
    created_at: created.createdAt,
  };
  if (await batches.commitIfOpen(intent, record, submittedStates(intent, created.id)))
    return { kind: 'committed', intent, record };
  if (await batches.getBatch(runId, created.id)) return { kind: 'adopted-meanwhile', batchId: created.id };
  await batches.recordDuplicate(runId, created.id, created.createdAt);
  await s.cancel(created.id);
  log.warn({ runId, batchId: created.id, intent: intent.key }, 'batch created for an intent no longer open: cancelled');
  return { kind: 'duplicate', batchId: created.id };
}

/** A batch listed by the provider, as intent recovery reads it. */
export interface ListedBatch {
  id: string;
  createdAt: number;
  /** Its requests' results can be read (the custom_ids checked). */
  ended: boolean;
  /** Requests in the batch (read only for a batch without an intent key). */
  total: number;
  /**
   * The intent key the batch was created with, where the provider keeps metadata (OpenAI: `''`
   * for a batch without it); undefined where it keeps none (Anthropic).
   */
  intentKey?: string;
}

/** The provider calls intent recovery makes. */
export interface RecoveryApi {
  /** The provider's batches, newest first (recovery stops once they are older than the intent). */
  list(signal: AbortSignal): AsyncIterable<ListedBatch>;
  /** The custom_id of every result of an ended batch. */
  resultIds(batchId: string, signal: AbortSignal): AsyncIterable<string>;
}

export interface RecoverIntents {
  batches: BatchStore;
  runId: string;
  model: string;
  api: RecoveryApi;
  /** The create call's deadline: an intent younger than this (plus skew) may still be answered. */
  timeoutMs: number;
  signal: AbortSignal;
  log: Logger;
  /** Told each intent adopted (the caller hands its samples on). */
  onAdopted(intent: SubmitIntent, record: BatchRecord): Promise<void>;
}

async function candidatesFor(r: RecoverIntents, intent: SubmitIntent): Promise<ListedBatch[]> {
  const out: ListedBatch[] = [];
  for await (const batch of r.api.list(r.signal)) {
    if (batch.createdAt < intent.at - INTENT_SKEW_MS) break;
    if (batch.createdAt > intent.at + r.timeoutMs + INTENT_SKEW_MS) continue;
    // Identified by its metadata where the provider keeps it (its counts may not be known yet);
    // else a candidate by its size, checked by its results once it has ended.
    if (
      batch.intentKey !== undefined ? batch.intentKey !== intent.key : batch.total !== intentRequestIds(intent).length
    )
      continue;
    if (!(await r.batches.isClaimed(batch.id))) out.push(batch);
  }
  return out.sort((a, b) => a.createdAt - b.createdAt);
}

/**
 * Whether an ended batch holds exactly the intent's requests. Its results carry every request's
 * custom_id, a hash of run, sample and attempt, so a batch of anyone else never matches.
 */
async function holdsExactly(r: RecoverIntents, batchId: string, intent: SubmitIntent): Promise<boolean> {
  const expected = new Set(intentRequestIds(intent));
  const seen = new Set<string>();
  for await (const id of r.api.resultIds(batchId, r.signal)) {
    if (!expected.has(id) || seen.has(id)) return false;
    seen.add(id);
  }
  return seen.size === expected.size;
}

/**
 * Settles the run's open submit intents (a flush that died between writing its intent and
 * committing its batch). A candidate carrying the intent's key (provider metadata) is adopted at
 * once; one without (Anthropic) only once it has ended and its results' custom_ids are exactly the
 * intent's. While a candidate is still processing, or the intent's create call may still be in
 * flight, the intent stays open and its samples are held back (returned) so they are not sent
 * twice. An intent with no candidate after its deadline never reached the API and is dropped (its
 * samples stay pending for the next batch).
 */
export async function recoverIntents(r: RecoverIntents): Promise<Set<string>> {
  const held = new Set<string>();
  for (const intent of await r.batches.openIntents(r.runId)) {
    let waiting = Date.now() <= intent.at + r.timeoutMs + INTENT_SKEW_MS;
    let adopted = false;
    for (const batch of await candidatesFor(r, intent)) {
      if (batch.intentKey === undefined) {
        if (!batch.ended) {
          waiting = true;
          continue;
        }
        if (!(await holdsExactly(r, batch.id, intent))) continue;
      }
      const record: BatchRecord = {
        batch_id: batch.id,
        run_id: r.runId,
        model: r.model,
        intent: intent.key,
        custom_ids: intentRequestIds(intent),
        created_at: batch.createdAt,
      };
      if (await r.batches.commitIfOpen(intent, record, submittedStates(intent, batch.id))) {
        await r.onAdopted(intent, record);
        r.log.warn({ batchId: batch.id, intent: intent.key }, 'adopted a batch submitted before a crash');
      }
      adopted = true;
      break;
    }
    if (adopted) continue;
    if (waiting) {
      for (const sampleId of intent.sample_ids) held.add(sampleId);
      continue;
    }
    await r.batches.dropIntent(r.runId, intent.key);
    r.log.info({ intent: intent.key }, 'dropped a submit intent that never reached the API');
  }
  return held;
}
