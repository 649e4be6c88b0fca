import { isCluster, type RedisClient } from './redis.ts';

/** `text` with the glob characters of SCAN MATCH escaped. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Deletes every key under `keyPrefix` (SCAN, then UNLINK page by page; in a cluster on every
 * master, the run's keys all sit on the one that owns its slot) and, last, `runId`'s entry in the
 * run list `runsKey`, so a removal cut short leaves the run listed and can be run again.
 * Returns the number of keys deleted.
 */
export async function removeRunKeys(
  redis: RedisClient,
  keyPrefix: string,
  runsKey: string,
  runId: string,
): Promise<number> {
  const pattern = `${globEscape(keyPrefix)}*`;
  let deleted = 0;
  for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await node.unlink(...keys);
    } while (cursor !== '0');
  }
  await redis.zrem(runsKey, runId);
  return deleted;
}
