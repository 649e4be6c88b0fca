import type Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@gavel/core';
import { errorFromApi } from './api-errors.ts';
import type { ArbiterDeps } from './arbiter-deps.ts';
import { intentRequestIds, type SubmitIntent } from './arbiter-records.ts';
import type { ArbiterStore } from './arbiter-store.ts';
import { handOver, submittedStates } from './hand-over.ts';

/** Clock skew allowed between this host and the API when matching a batch to an intent. */
const INTENT_SKEW_MS = 60_000;

type Batch = Anthropic.Messages.Batches.MessageBatch;

/** Batches that could be an intent's: created within its create call's deadline, same request count, not claimed. */
async function candidatesFor(
  deps: ArbiterDeps,
  client: Anthropic,
  arb: ArbiterStore,
  intent: SubmitIntent,
  signal: AbortSignal,
): Promise<Batch[]> {
  const { config } = deps;
  const out: Batch[] = [];
  try {
    for await (const batch of client.messages.batches.list({ limit: 100 }, { signal, timeout: config.timeoutMs })) {
      const created = Date.parse(batch.created_at);
      if (created < intent.at - INTENT_SKEW_MS) break;
      if (created > intent.at + config.timeoutMs + INTENT_SKEW_MS) continue;
      const c = batch.request_counts;
      const total = c.processing + c.succeeded + c.errored + c.canceled + c.expired;
      if (total === intentRequestIds(intent).length && !(await arb.isClaimed(batch.id))) out.push(batch);
    }
  } catch (e) {
    throw errorFromApi(e, 'listing batches to recover a submit intent');
  }
  return out.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
}

/**
 * Whether an ended batch holds exactly the intent's requests. The API lists no requests before a
 * batch ends; its results carry every request's custom_id, which is a hash of run, sample and
 * attempt, so a batch of anyone else (another run, another client on the key) never matches.
 */
async function holdsExactly(
  client: Anthropic,
  batch: Batch,
  intent: SubmitIntent,
  signal: AbortSignal,
): Promise<boolean> {
  const expected = new Set(intentRequestIds(intent));
  const seen = new Set<string>();
  try {
    for await (const line of await client.messages.batches.results(batch.id, {}, { signal })) {
      if (!expected.has(line.custom_id) || seen.has(line.custom_id)) return false;
      seen.add(line.custom_id);
    }
  } catch (e) {
    throw errorFromApi(e, `results of ${batch.id} to check its custom_ids`);
  }
  return seen.size === expected.size;
}

/**
 * Settles the run's open submit intents (a flush that died between writing its intent and
 * committing its batch). A candidate batch is adopted only once it has ended and its results'
 * custom_ids are exactly the intent's; while a candidate is still processing, or the intent's
 * create call may still be in flight, the intent stays open and its samples are held back
 * (returned) so they are not sent twice. An intent with no candidate after its deadline, or whose
 * candidates all hold other requests, never reached the API and is dropped (its samples stay
 * pending for the next batch).
 */
export async function recoverIntents(
  deps: ArbiterDeps,
  client: Anthropic,
  arb: ArbiterStore,
  runId: string,
  signal: AbortSignal,
  log: Logger,
): Promise<Set<string>> {
  const held = new Set<string>();
  for (const intent of await arb.openIntents(runId)) {
    let waiting = Date.now() <= intent.at + deps.config.timeoutMs + INTENT_SKEW_MS;
    let adopted = false;
    for (const batch of await candidatesFor(deps, client, arb, intent, signal)) {
      if (batch.processing_status !== 'ended') {
        waiting = true;
        continue;
      }
      if (!(await holdsExactly(client, batch, intent, signal))) continue;
      const record = {
        batch_id: batch.id,
        run_id: runId,
        model: deps.config.model,
        intent: intent.key,
        custom_ids: intentRequestIds(intent),
        created_at: Date.parse(batch.created_at),
      };
      if (await arb.commitIfOpen(intent, record, submittedStates(intent, batch.id))) {
        await handOver(deps, intent);
        log.warn({ batchId: batch.id, intent: intent.key }, 'adopted a batch submitted before a crash');
      }
      adopted = true;
      break;
    }
    if (adopted) continue;
    if (waiting) {
      for (const sampleId of intent.sample_ids) held.add(sampleId);
      continue;
    }
    await arb.dropIntent(runId, intent.key);
    log.info({ intent: intent.key }, 'dropped a submit intent that never reached the API');
  }
  return held;
}
