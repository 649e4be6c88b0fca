import { arbiterBatchKey, legacyKeys, runKey, STORE_LAYOUT, storeLayoutKey } from '@gavel/core';
import type { Redis } from 'ioredis';

/** What `gavel migrate` moved. */
export interface StoreMigration {
  /** Runs whose keys were moved. */
  runs: string[];
  keys_moved: number;
  /** Per-batch keys (polls, collected) moved under their run's tag. */
  batch_keys_moved: number;
  /** Keys dropped: expiring batch locks, and the global copies of batch records (each is in its run's batch-records hash). */
  keys_dropped: number;
  /** Old keys left in place because the new key already exists or the batch's run is unknown (each named). */
  left: string[];
}

async function scanAll(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

const BATCH_LOCKS = new Set(['poll', 'collect', 'heartbeat']);

/**
 * Moves a single Redis's run store from the layout before per-run hash tags
 * (`<prefix>:run:<runId>:<part>`, `<prefix>:arb:batch:<batchId>[:<part>]`) to the current one
 * (`<prefix>:{run:<runId>}:…`), then writes the layout version. Each key moves by RENAMENX (atomic,
 * never over a key that exists), so a migration cut short is finished by running it again; the
 * version is written only once nothing old is left, and until then every process refuses the store.
 * Queue jobs are not moved here (see `gavel migrate`).
 */
export async function migrateStoreLayout(redis: Redis, prefix: string): Promise<StoreMigration> {
  const report: StoreMigration = { runs: [], keys_moved: 0, batch_keys_moved: 0, keys_dropped: 0, left: [] };
  const runs = new Set<string>();
  for (const key of await scanAll(redis, legacyKeys.runPattern(prefix))) {
    const parsed = legacyKeys.parseRunKey(prefix, key);
    if (!parsed) continue;
    if ((await redis.renamenx(key, runKey(prefix, parsed.runId, parsed.part))) === 1) {
      report.keys_moved += 1;
      runs.add(parsed.runId);
    } else report.left.push(key);
  }
  // Batch keys: the record copy says the batch's run; its other keys follow it.
  const batchKeys = await scanAll(redis, legacyKeys.batchPattern(prefix));
  const runOfBatch = new Map<string, string>();
  for (const key of batchKeys) {
    const parsed = legacyKeys.parseBatchKey(prefix, key);
    if (parsed?.part !== '') continue;
    const raw = await redis.get(key);
    const runId = raw === null ? undefined : (JSON.parse(raw) as { run_id?: unknown }).run_id;
    if (typeof runId === 'string') runOfBatch.set(parsed.batchId, runId);
  }
  for (const key of batchKeys) {
    const parsed = legacyKeys.parseBatchKey(prefix, key);
    if (!parsed || parsed.part === '') continue;
    if (BATCH_LOCKS.has(parsed.part)) {
      report.keys_dropped += await redis.del(key);
      continue;
    }
    const runId = runOfBatch.get(parsed.batchId);
    if (runId === undefined) {
      report.left.push(key);
      continue;
    }
    if ((await redis.renamenx(key, arbiterBatchKey(prefix, runId, parsed.batchId, parsed.part))) === 1) {
      report.batch_keys_moved += 1;
    } else report.left.push(key);
  }
  for (const [batchId, runId] of runOfBatch) {
    const record = legacyKeys.batchRecord(prefix, batchId);
    const raw = await redis.get(record);
    if (raw === null) continue;
    // The commit script wrote the same record into the run's hash; keep the one there.
    await redis.hsetnx(runKey(prefix, runId, 'arb:batch-records'), batchId, raw);
    report.keys_dropped += await redis.del(record);
  }
  report.runs = [...runs].sort();
  if (report.left.length === 0) await redis.set(storeLayoutKey(prefix), STORE_LAYOUT);
  return report;
}
