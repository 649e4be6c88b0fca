import { isStage, RunManifest, STAGES, type Stage } from '@gavel/core';
import { ExportRecord } from '@gavel/report';
import { retryFailedJobs, runReport, runStatus } from '@gavel/runs';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps } from './api-deps.ts';
import { RetryResult, RunDetail, RunIdParam, RunList, RunReport, SubmittedRun } from './api-schemas.ts';
import { PROBLEM_HEADERS, Problem, problem } from './problem.ts';
import { REDIS_UNAVAILABLE } from './redis-unavailable.ts';
import { HumanEvalRunBody } from './run-body.ts';
import { runEventStream } from './run-events.ts';
import { submitRun } from './run-submission.ts';
import { type VerdictFilter, verdictStream } from './verdict-stream.ts';

const problemContent = { 'application/problem+json': { schema: Problem } };
const notFound = { 404: { description: 'No such run', content: problemContent } };
const runIdOption = z.string().optional().describe('the run id (default: a new one); also the idempotency key');

const noRun = (id: string) => problem('not-found', 404, 'No such run', `no run ${id} (see GET /v1/runs)`);

const submitRoute = createRoute({
  method: 'post',
  path: '/v1/runs',
  summary: 'Submit a run: the whole body is validated before anything is enqueued',
  request: {
    query: z.object({
      run_id: runIdOption,
      rubric: z.string().optional().describe('NAME@VERSION for its sample kind'),
    }),
    headers: z.object({
      'idempotency-key': z
        .string()
        .optional()
        .describe('a retried POST with the same key and payload returns the same run'),
      'gavel-run-id': z.string().optional().describe('the run id, when not in the query'),
      'gavel-rubric': z.string().optional().describe('the rubric (NAME@VERSION), when not in the query'),
    }),
    body: {
      required: true,
      content: {
        'application/x-ndjson': { schema: z.string().describe('native samples, one JSON object a line') },
        'application/json': { schema: HumanEvalRunBody },
      },
    },
  },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: {
      description: 'The run already held this payload (idempotent retry)',
      content: { 'application/json': { schema: SubmittedRun } },
    },
    201: { description: 'Enqueued', content: { 'application/json': { schema: SubmittedRun } } },
    400: { description: 'Malformed request', content: problemContent },
    409: { description: 'A submission under this key is still being enqueued', content: problemContent },
    413: { description: 'Body past GAVEL_API_MAX_BODY_BYTES', content: problemContent },
    415: { description: 'Neither NDJSON nor JSON', content: problemContent },
    422: {
      description: 'Invalid lines (first 20, then a count), or the key was used for another payload',
      content: problemContent,
    },
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/runs',
  summary: 'List runs, oldest first, a page at a time',
  request: {
    query: z.object({
      cursor: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    }),
  },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: { description: 'A page of runs', content: { 'application/json': { schema: RunList } } },
    400: { description: 'The cursor names no run', content: problemContent },
  },
});

const runRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}',
  summary: 'A run: its manifest and progress per stage',
  request: { params: RunIdParam },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: { description: 'The run', content: { 'application/json': { schema: RunDetail } } },
    ...notFound,
  },
});

const VerdictsQuery = z.object({
  status: z.enum(['verdict', 'failed']).optional(),
  cursor: z.coerce.number().int().min(0).default(0).describe('index of the first sample (dataset order)'),
});

const verdictsRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/verdicts',
  summary: 'The run records as NDJSON (one export record a line), streamed with backpressure',
  request: {
    params: RunIdParam,
    query: VerdictsQuery,
  },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: {
      description:
        'One ExportRecord (components/schemas/ExportRecord) a line; a failure mid-stream ends with one {"error": {"message", "sent"}} line',
      content: { 'application/x-ndjson': { schema: z.string() } },
    },
    ...notFound,
  },
});

const reportRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/report',
  summary: 'Outcomes, routing, arbitration and arbiter cost (gavel report --json)',
  request: { params: RunIdParam },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: { description: 'The report', content: { 'application/json': { schema: RunReport } } },
    ...notFound,
  },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/v1/runs/{id}/retry',
  summary: "Retry the run's failed jobs (gavel retry)",
  request: { params: RunIdParam, query: z.object({ stage: z.enum(STAGES).optional() }) },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: { description: 'Jobs retried per stage', content: { 'application/json': { schema: RetryResult } } },
    ...notFound,
  },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/events',
  summary: 'Progress as Server-Sent Events (event: progress, then event: ended)',
  request: { params: RunIdParam },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...notFound,
  },
});

/** The run routes, registered on the app (and so in its OpenAPI document). */
export function registerRunRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  // Documented from the route above; the handler reads the body itself (streamed, size-limited).
  // A copy made here, after zod-openapi extended zod: a schema built before that (its package
  // evaluated first, e.g. through @gavel/runs) has no `.openapi` of its own.
  app.openAPIRegistry.register('ExportRecord', z.object(ExportRecord.shape));
  app.openAPIRegistry.registerPath(submitRoute);
  app.post('/v1/runs', (c) => submitRun(c.req.raw, deps.submission));

  app.openapi(listRoute, async (c) => {
    const { cursor, limit } = c.req.valid('query');
    const found = await deps.store.runsPage(cursor, limit);
    if (found === undefined) {
      const p = problem('invalid-request', 400, 'Unknown cursor', `cursor ${cursor} is no run (was it deleted?)`);
      return c.json(p, 400, PROBLEM_HEADERS);
    }
    const page = found.ids;
    const runs = [];
    for (const id of page) {
      const [manifest, p] = await Promise.all([deps.store.findManifest(id), deps.store.progress(id)]);
      runs.push({
        run_id: id,
        created_at: manifest?.created_at ?? null,
        samples: p.total,
        ended: p.ended,
        verdicts: p.verdicts,
        failed: p.failed,
        rubrics: Object.values(manifest?.rubrics ?? {}).map((r) => `${r.id}@${r.version}`),
      });
    }
    const last = page.at(-1);
    const next = last !== undefined && found.more ? last : null;
    return c.json({ runs, next_cursor: next }, 200);
  });

  app.openapi(runRoute, async (c) => {
    const { id } = c.req.valid('param');
    const manifest = await deps.store.findManifest(id);
    if (!manifest) return c.json(noRun(id), 404, PROBLEM_HEADERS);
    return c.json({ manifest: RunManifest.parse(manifest), status: await runStatus(id, deps.store, deps.queues) }, 200);
  });

  // Documented from the route above; answered as a raw byte stream (typed routes answer JSON only).
  app.openAPIRegistry.registerPath(verdictsRoute);
  app.get('/v1/runs/:id/verdicts', async (c) => {
    const id = c.req.param('id');
    const query = VerdictsQuery.safeParse(c.req.query());
    if (!query.success) {
      const errors = query.error.issues.map((i) => ({
        line: null,
        field: i.path.map(String).join('.'),
        message: i.message,
      }));
      return c.json(
        problem('invalid-request', 400, 'Invalid request', 'the query does not validate', errors),
        400,
        PROBLEM_HEADERS,
      );
    }
    const manifest = await deps.store.findManifest(id);
    if (!manifest) return c.json(noRun(id), 404, PROBLEM_HEADERS);
    const filter: VerdictFilter = query.data.status ?? 'all';
    const stream = verdictStream(deps.store, manifest, {
      filter,
      from: query.data.cursor,
      onEnd: (sent, how) => deps.logger.debug({ runId: id, sent, how }, 'verdict stream ended'),
    });
    return c.body(stream, 200, {
      'Content-Type': 'application/x-ndjson',
      'Cache-Control': 'no-store',
    });
  });

  app.openapi(reportRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deps.store.findManifest(id))) return c.json(noRun(id), 404, PROBLEM_HEADERS);
    return c.json(await runReport(deps.store, id), 200);
  });

  app.openapi(retryRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { stage } = c.req.valid('query');
    if (!(await deps.store.findManifest(id))) return c.json(noRun(id), 404, PROBLEM_HEADERS);
    const stages: Stage[] = stage !== undefined && isStage(stage) ? [stage] : [...STAGES];
    const retried = await retryFailedJobs(deps.store, deps.queues, id, stages);
    const total = Object.values(retried).reduce((a, b) => a + b, 0);
    return c.json({ run_id: id, retried, total }, 200);
  });

  app.openapi(eventsRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deps.store.findManifest(id))) return c.json(noRun(id), 404, PROBLEM_HEADERS);
    const stream = runEventStream(id, () => deps.store.progress(id), deps.eventsIntervalMs);
    return new Response(stream, {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' },
    });
  });
}
