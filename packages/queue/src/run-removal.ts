import type { Redis } from 'ioredis';

/** `text` with the glob characters of SCAN MATCH escaped. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Deletes every key under `keyPrefix` (SCAN, then UNLINK page by page) and, last, `runId`'s entry
 * in the run list `runsKey`, so a removal cut short leaves the run listed and can be run again.
 * Returns the number of keys deleted.
 */
export async function removeRunKeys(redis: Redis, keyPrefix: string, runsKey: string, runId: string): Promise<number> {
  const pattern = `${globEscape(keyPrefix)}*`;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.zrem(runsKey, runId);
  return deleted;
}
