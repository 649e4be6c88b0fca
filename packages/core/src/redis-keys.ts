import { QUEUE_NAMES, type Stage } from './stage.ts';

/**
 * Every Redis key gavel uses is built here, and nowhere else (a string literal such as
 * `gavel:run:${id}:x` elsewhere is a bug: it misses the hash tag).
 *
 * Redis Cluster puts a key in the slot of its first `{…}` hash tag, and refuses a script or MULTI
 * whose keys span slots (CROSSSLOT). So the keys one script or transaction touches share a tag:
 * - everything of one run — the run store and the arbiter's records and batch records — sits under
 *   `<prefix>:{run:<runId>}:…`;
 * - one GPU's lease under `<prefix>:{gpu:<gpuId>}:…`;
 * - each stage queue under its own BullMQ prefix `<queuePrefix>:{<queue>}`, so the stages spread
 *   over the masters instead of one hot slot;
 * - global keys (the run list, rubric texts, the arbiter's claimed batches, API idempotency keys)
 *   are each touched alone, by single-key commands and scripts.
 */

/** The run store's layout version, written to {@link storeLayoutKey}. 2: per-run hash tags. */
export const STORE_LAYOUT = '2';

/** The hash tag of one run: every key of the run hashes to its slot. */
export function runTag(runId: string): string {
  return `{run:${runId}}`;
}

/** A run-store key of one run: `<prefix>:{run:<runId>}:<part>`. */
export function runKey(prefix: string, runId: string, part: string): string {
  return `${prefix}:${runTag(runId)}:${part}`;
}

/** What every key of the run starts with (a SCAN MATCH prefix for removal). */
export function runKeyPrefix(prefix: string, runId: string): string {
  return `${prefix}:${runTag(runId)}:`;
}

/** The batch-store namespace of the generate stage's batch mode. */
export const GENERATE_BATCH_NS = 'genb';

/** The batch-store namespace of the arbiter. */
export const ARBITER_BATCH_NS = 'arb';

/**
 * The per-run records of one user of the shared batch machinery (`arb`: the arbiter, `genb`: the
 * generate stage's batch mode): `<prefix>:{run:<runId>}:<ns>:<part>`.
 */
export function batchRunKey(prefix: string, ns: string, runId: string, part: string): string {
  return runKey(prefix, runId, `${ns}:${part}`);
}

/** One batch's keys (its polls, collected mark, locks), under its run's tag. */
export function batchBatchKey(prefix: string, ns: string, runId: string, batchId: string, part = ''): string {
  return runKey(prefix, runId, `${ns}:batch:${batchId}${part ? `:${part}` : ''}`);
}

/** Batch ids some run of this namespace already committed (recovery never adopts one twice). Global. */
export function batchClaimedKey(prefix: string, ns: string): string {
  return `${prefix}:${ns}:claimed`;
}

/** The arbiter's per-run records: `<prefix>:{run:<runId>}:arb:<part>`. */
export function arbiterRunKey(prefix: string, runId: string, part: string): string {
  return batchRunKey(prefix, ARBITER_BATCH_NS, runId, part);
}

/** One arbiter batch's keys (its polls, collected mark, locks), under its run's tag. */
export function arbiterBatchKey(prefix: string, runId: string, batchId: string, part = ''): string {
  return batchBatchKey(prefix, ARBITER_BATCH_NS, runId, batchId, part);
}

/** The run list: a sorted set of run ids scored by creation time (ms). Global, its own slot. */
export function runsListKey(prefix: string): string {
  return `${prefix}:runs`;
}

/** Holds {@link STORE_LAYOUT} once a run was created (or migrated) in the current layout. */
export function storeLayoutKey(prefix: string): string {
  return `${prefix}:store-layout`;
}

/** A frozen rubric's exact bytes, by content hash (global: shared by every run). */
export function rubricTextKey(prefix: string, hash: string): string {
  return `${prefix}:rubric:sha256:${hash}`;
}

/**
 * An image's bytes, by content hash (global: shared by every run and sample that shows it), under
 * the image's own hash tag, beside {@link imageRefsKey}: the script that releases a run's reference
 * and deletes the last one's bytes touches both in one slot.
 */
export function imageKey(prefix: string, sha256: string): string {
  return `${prefix}:{image:${sha256}}:bytes`;
}

/** The ids of the runs that show an image (a set): the image is deleted when the last one goes. */
export function imageRefsKey(prefix: string, sha256: string): string {
  return `${prefix}:{image:${sha256}}:refs`;
}

/** The sha256 of every image a run shows (a set, under the run's tag): what its removal releases. */
export function runImagesKey(prefix: string, runId: string): string {
  return runKey(prefix, runId, 'images');
}

/** Batch ids already committed by some run (intent recovery never adopts one twice). Global. */
export function arbiterClaimedKey(prefix: string): string {
  return batchClaimedKey(prefix, ARBITER_BATCH_NS);
}

/** Marks a model's rubric prefix as warm in the provider's prompt cache. Global. */
export function arbiterPrimedKey(prefix: string, model: string, prefixHash: string): string {
  return `${prefix}:arb:primed:${model}:${prefixHash}`;
}

/** One GPU's lease keys (`lease`, `token`, the `events` channel), under the GPU's own tag. */
export function gpuLeaseKeyBase(prefix: string, gpuId: string): string {
  return `${prefix}:{gpu:${gpuId}}`;
}

/** One API idempotency claim (by the digest of the client's key). */
export function apiIdempotencyKey(prefix: string, digest: string): string {
  return `${prefix}:api:idempotency:${digest}`;
}

/**
 * The BullMQ prefix of one stage's queue: `<base>:{<queue>}`, one hash tag per queue (BullMQ's
 * guidance for Redis Cluster). Braces in `base` are dropped: a tag there would put every queue in
 * one slot.
 */
export function stageQueuePrefix(base: string, stage: Stage): string {
  return `${base.replace(/[{}]/g, '')}:{${QUEUE_NAMES[stage]}}`;
}

/**
 * Keys of the layout before per-run hash tags (`<prefix>:run:<runId>:<part>`,
 * `<prefix>:arb:batch:<batchId>[:<part>]`): read only by the migration and the check that refuses them.
 */
export const legacyKeys = {
  /** An image stored before reference counting (`<prefix>:image:sha256:<hex>`): read, never deleted. */
  image: (prefix: string, sha256: string): string => `${prefix}:image:sha256:${sha256}`,
  runPattern: (prefix: string): string => `${prefix}:run:*`,
  manifest: (prefix: string, runId: string): string => `${prefix}:run:${runId}:manifest`,
  batchPattern: (prefix: string): string => `${prefix}:arb:batch:*`,
  /** The global copy of a batch record. */
  batchRecord: (prefix: string, batchId: string): string => `${prefix}:arb:batch:${batchId}`,
  /** Splits a legacy run key into run id and part; undefined for any other key. */
  parseRunKey(prefix: string, key: string): { runId: string; part: string } | undefined {
    const head = `${prefix}:run:`;
    if (!key.startsWith(head)) return undefined;
    const rest = key.slice(head.length);
    const colon = rest.indexOf(':');
    if (colon <= 0) return undefined;
    return { runId: rest.slice(0, colon), part: rest.slice(colon + 1) };
  },
  /** Splits a legacy batch key into batch id and part ('' for the record itself). */
  parseBatchKey(prefix: string, key: string): { batchId: string; part: string } | undefined {
    const head = `${prefix}:arb:batch:`;
    if (!key.startsWith(head)) return undefined;
    const rest = key.slice(head.length);
    const colon = rest.indexOf(':');
    if (colon === 0 || rest.length === 0) return undefined;
    return colon < 0 ? { batchId: rest, part: '' } : { batchId: rest.slice(0, colon), part: rest.slice(colon + 1) };
  },
};

/** A text's cached embedding vector, by model and content digest (global; each read and written alone). */
export function embeddingKey(prefix: string, modelDigest: string, textDigest: string): string {
  return `${prefix}:embedding:${modelDigest}:${textDigest}`;
}
