import type { DatasetError } from '@gavel/core';
import { z } from '@hono/zod-openapi';

/** The first this many line problems are listed; the rest are counted. */
export const MAX_PROBLEMS_LISTED = 20;

export const LineProblem = z
  .object({
    line: z
      .number()
      .int()
      .nullable()
      .describe('1-based line of the body (or of `samples`/`problems`); null for the request as a whole'),
    field: z.string(),
    message: z.string(),
  })
  .openapi('LineProblem');
export type LineProblem = z.infer<typeof LineProblem>;

/** An RFC 9457 problem document (`application/problem+json`). */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(LineProblem).optional(),
    more_errors: z.number().int().optional().describe('problems beyond the listed ones'),
  })
  .openapi('Problem');
export type Problem = z.infer<typeof Problem>;

/** The problem kinds the API answers with; `type` is `urn:gavel:problem:<kind>`. */
export type ProblemKind =
  | 'invalid-dataset'
  | 'invalid-request'
  | 'unauthorized'
  | 'forbidden'
  | 'host-not-allowed'
  | 'not-found'
  | 'body-too-large'
  | 'unsupported-media-type'
  | 'idempotency-conflict'
  | 'idempotency-in-progress'
  | 'rubric-mismatch'
  | 'redis-unavailable'
  | 'internal';

/** Pure: a problem document. */
export function problem(
  kind: ProblemKind,
  status: number,
  title: string,
  detail: string,
  errors?: LineProblem[],
): Problem {
  const listed = errors?.slice(0, MAX_PROBLEMS_LISTED);
  return {
    type: `urn:gavel:problem:${kind}`,
    title,
    status,
    detail,
    ...(listed ? { errors: listed } : {}),
    ...(errors && errors.length > MAX_PROBLEMS_LISTED ? { more_errors: errors.length - MAX_PROBLEMS_LISTED } : {}),
  };
}

/** A dataset problem as a line problem; the part of the body it is in goes before the field (`samples: task_id`). */
export function lineProblem(error: DatasetError, part?: string): LineProblem {
  return { line: error.line, field: part ? `${part}: ${error.field}` : error.field, message: error.message };
}

/** Headers that make `c.json(problem, status, PROBLEM_HEADERS)` an `application/problem+json` answer. */
export const PROBLEM_HEADERS = { 'Content-Type': 'application/problem+json' };

/** The response for a problem. */
export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}
