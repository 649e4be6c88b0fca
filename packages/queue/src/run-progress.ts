import { SampleFailure } from '@gavel/core';
import type { RedisClient } from './redis.ts';

/** How far a run has come; every number is an idempotent count (hash/set sizes, never bare counters). */
export interface RunProgress {
  total: number;
  /** Completions of the system under test stored (generate runs). */
  generated: number;
  facts: number;
  judged: number;
  routed: number;
  arbitrated: number;
  verdicts: number;
  failed: number;
  failedByStage: Record<string, number>;
  /** Samples with a final verdict or a terminal failure. */
  ended: number;
}

/** Reads a run's progress in one round trip; `key(part)` names the run's keys. */
export async function readProgress(redis: RedisClient, key: (part: string) => string): Promise<RunProgress> {
  const results =
    (await redis
      .pipeline()
      .hlen(key('samples'))
      .hlen(key('facts'))
      .hlen(key('judgements'))
      .scard(key('routed'))
      .scard(key('arbitrated'))
      .hlen(key('verdicts'))
      .hvals(key('failures'))
      .hlen(key('completions'))
      .exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  const n = (i: number): number => Number(results[i]?.[1] ?? 0);
  const failures = (results[6]?.[1] as string[] | undefined) ?? [];
  const failedByStage: Record<string, number> = {};
  for (const json of failures) {
    const { stage } = SampleFailure.parse(JSON.parse(json));
    failedByStage[stage] = (failedByStage[stage] ?? 0) + 1;
  }
  return {
    total: n(0),
    generated: n(7),
    facts: n(1),
    judged: n(2),
    routed: n(3),
    arbitrated: n(4),
    verdicts: n(5),
    failed: failures.length,
    failedByStage,
    ended: n(5) + failures.length,
  };
}
