import type { RunStore } from '@gavel/queue';
import {
  Comparison,
  compareRuns,
  RubricMismatchError,
  type RunRecords,
  reviewComparisonView,
  reviewHtml,
} from '@gavel/report';
import { runRecordPages, storedImages } from '@gavel/runs';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps } from './api-deps.ts';
import { RunIdParam } from './api-schemas.ts';
import { PROBLEM_HEADERS, Problem, problem } from './problem.ts';
import { REDIS_UNAVAILABLE } from './redis-unavailable.ts';

const problemContent = { 'application/problem+json': { schema: Problem } };
const flag = z.enum(['true', 'false']).optional();

/** A whole run from the run store (what `gavel compare` and `gavel review` read), or undefined. */
async function loadRun(store: RunStore, runId: string): Promise<RunRecords | undefined> {
  const manifest = await store.findManifest(runId);
  if (!manifest) return undefined;
  const records = [];
  for await (const page of runRecordPages(store, manifest)) records.push(...page);
  return { manifest, records };
}

const noRun = (id: string) => problem('not-found', 404, 'No such run', `no run ${id} (see GET /v1/runs)`);
const mismatch = (error: RubricMismatchError) =>
  problem('rubric-mismatch', 409, 'Runs graded on different rubrics', error.message);

const compareRoute = createRoute({
  method: 'get',
  path: '/v1/compare',
  summary: 'Pair two runs and decide (gavel compare --json)',
  request: {
    query: z.object({
      base: z.string(),
      candidate: z.string(),
      max_drop: z.coerce.number().min(0).optional().describe('ship rule: percentage points'),
      allow_rubric_change: flag,
    }),
  },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: { description: 'The comparison', content: { 'application/json': { schema: Comparison } } },
    404: { description: 'No such run', content: problemContent },
    409: { description: 'The runs pinned different rubrics', content: problemContent },
  },
});

const reviewRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/review',
  summary: 'The self-contained HTML review matrix (gavel review)',
  request: { params: RunIdParam, query: z.object({ against: z.string().optional(), allow_rubric_change: flag }) },
  responses: {
    ...REDIS_UNAVAILABLE,
    200: { description: 'One HTML file', content: { 'text/html': { schema: z.string() } } },
    404: { description: 'No such run', content: problemContent },
    409: { description: 'The runs pinned different rubrics', content: problemContent },
  },
});

/** `GET /v1/compare` and `GET /v1/runs/{id}/review`: packages/report over runs from the run store. */
export function registerDecideRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(compareRoute, async (c) => {
    const q = c.req.valid('query');
    const base = await loadRun(deps.store, q.base);
    if (!base) return c.json(noRun(q.base), 404, PROBLEM_HEADERS);
    const candidate = await loadRun(deps.store, q.candidate);
    if (!candidate) return c.json(noRun(q.candidate), 404, PROBLEM_HEADERS);
    try {
      const comparison = compareRuns(base, candidate, {
        allowRubricChange: q.allow_rubric_change === 'true',
        ...(q.max_drop === undefined ? {} : { maxDropPts: q.max_drop }),
      });
      return c.json(comparison, 200);
    } catch (error) {
      if (error instanceof RubricMismatchError) return c.json(mismatch(error), 409, PROBLEM_HEADERS);
      throw error;
    }
  });

  app.openapi(reviewRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const run = await loadRun(deps.store, id);
    if (!run) return c.json(noRun(id), 404, PROBLEM_HEADERS);
    let comparison: ReturnType<typeof reviewComparisonView> | undefined;
    if (q.against !== undefined) {
      const base = await loadRun(deps.store, q.against);
      if (!base) return c.json(noRun(q.against), 404, PROBLEM_HEADERS);
      try {
        comparison = reviewComparisonView(
          base,
          run,
          compareRuns(base, run, { allowRubricChange: q.allow_rubric_change === 'true' }),
        );
      } catch (error) {
        if (error instanceof RubricMismatchError) return c.json(mismatch(error), 409, PROBLEM_HEADERS);
        throw error;
      }
    }
    const images = await storedImages(deps.store, run.records);
    const html = reviewHtml({ run, ...(comparison ? { comparison } : {}), images });
    return c.html(html, 200);
  });
}
