import type { RedisClient } from './redis.ts';

/**
 * KEYS[1] the run list (a sorted set scored by creation time), ARGV[1] '1' when there is a cursor,
 * ARGV[2] the cursor run id, ARGV[3] how many ids to return. Atomic: the cursor's rank and the ids after it are
 * read in one step, so a run created or removed meanwhile cannot shift the page. `false` (nil) when
 * the cursor is not in the list.
 */
const RUNS_PAGE = `#!lua flags=no-writes
local start = 0
if ARGV[1] == '1' then
  local rank = redis.call('ZRANK', KEYS[1], ARGV[2])
  if not rank then return false end
  start = rank + 1
end
return redis.call('ZRANGE', KEYS[1], start, start + tonumber(ARGV[3]) - 1)
`;

/** A page of run ids and whether more follow. */
export interface RunListPage {
  ids: string[];
  more: boolean;
}

/**
 * Up to `limit` run ids after `after` (from the start when absent), oldest first, equal creation
 * times in run-id order (a sorted set's order), reading only that page; `undefined` when `after` is
 * no listed run.
 */
export async function readRunsPage(
  redis: RedisClient,
  runsKey: string,
  after: string | undefined,
  limit: number,
): Promise<RunListPage | undefined> {
  const found = (await redis.eval(
    RUNS_PAGE,
    1,
    runsKey,
    after === undefined ? '0' : '1',
    after ?? '',
    String(limit + 1),
  )) as string[] | null;
  if (found === null) return undefined;
  return { ids: found.slice(0, limit), more: found.length > limit };
}
