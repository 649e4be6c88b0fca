import { Problem, problem, problemResponse } from './problem.ts';

/** ioredis's rejection of a command that got no answer within its `commandTimeout`. */
const TIMED_OUT = 'Command timed out';

/** Pure: did this error come from Redis not answering within the API's deadline? */
export function isRedisTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === TIMED_OUT;
}

/** The answer to a request whose Redis work passed `GAVEL_API_REDIS_TIMEOUT_S`: 503, retry after that long. */
export function redisUnavailableResponse(timeoutS: number): Response {
  return problemResponse(
    problem(
      'redis-unavailable',
      503,
      'Redis unavailable',
      `Redis did not answer within ${timeoutS} s (GAVEL_API_REDIS_TIMEOUT_S); retry later (a POST under the same Idempotency-Key or run id is safe to retry)`,
    ),
    { 'retry-after': String(Math.max(1, Math.ceil(timeoutS))) },
  );
}

/** The 503 every Redis-backed route may answer, for its OpenAPI responses. */
export const REDIS_UNAVAILABLE = {
  503: {
    description: 'Redis did not answer within GAVEL_API_REDIS_TIMEOUT_S (Retry-After says when to try again)',
    content: { 'application/problem+json': { schema: Problem } },
  },
} as const;
