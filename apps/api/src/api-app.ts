import { GAVEL_VERSION } from '@gavel/core';
import { pingWithin } from '@gavel/queue';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { authorize, hostAllowed } from './api-auth.ts';
import type { ApiDeps } from './api-deps.ts';
import { Health } from './api-schemas.ts';
import { registerDecideRoutes } from './decide-routes.ts';
import { problem, problemResponse } from './problem.ts';
import { isRedisTimeout, redisUnavailableResponse } from './redis-unavailable.ts';
import { registerRunRoutes } from './runs-routes.ts';
import { closeAfterUnreadBody } from './unread-body.ts';

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Is Redis reachable (2 s deadline)',
  responses: {
    200: { description: 'Redis answers', content: { 'application/json': { schema: Health } } },
    503: { description: 'Redis does not answer', content: { 'application/json': { schema: Health } } },
  },
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: "The process's Prometheus metrics (text exposition format)",
  responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
});

/** Paths anyone who reaches the API may read: the document and the health check carry no run data. */
const OPEN_PATHS = new Set(['/openapi.json', '/healthz']);

/**
 * The API: Host check (DNS rebinding), CORS only for configured origins, bearer auth (read-only
 * tokens may not write), then the routes. Every route's schemas go into `/openapi.json`, generated
 * from the same zod schemas the handlers validate with.
 */
export function createApiApp(deps: ApiDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (result.success) return undefined;
      const errors = result.error.issues.map((i) => ({
        line: null,
        field: i.path.map(String).join('.') || `(${result.target})`,
        message: i.message,
      }));
      return problemResponse(
        problem('invalid-request', 400, 'Invalid request', `the ${result.target} does not validate`, errors),
      );
    },
  });
  const { security } = deps;

  // First, so that it sees every answer, refusals by the checks below included.
  app.use('*', closeAfterUnreadBody);
  app.use('*', async (c, next) => {
    if (!hostAllowed(security.hosts, c.req.header('host'))) {
      return problemResponse(
        problem(
          'host-not-allowed',
          403,
          'Host not allowed',
          'this API does not answer to that Host; add the name to GAVEL_API_ALLOWED_HOSTS',
        ),
      );
    }
    return next();
  });
  if (security.corsOrigins.length > 0) {
    app.use(
      '*',
      cors({
        origin: [...security.corsOrigins],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        exposeHeaders: ['location'],
      }),
    );
  }
  app.use('*', async (c, next) => {
    if (OPEN_PATHS.has(c.req.path) || c.req.method === 'OPTIONS') return next();
    const write = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    const decision = authorize(security.auth, c.req.header('authorization'), write);
    if (decision.kind === 'unauthenticated') {
      return problemResponse(problem('unauthorized', 401, 'Unauthorized', 'send Authorization: Bearer <token>'), {
        'www-authenticate': 'Bearer realm="gavel"',
      });
    }
    if (decision.kind === 'read-only') {
      return problemResponse(problem('forbidden', 403, 'Read-only token', 'this token may read but not write'));
    }
    return next();
  });

  app.openapi(healthRoute, async (c) => {
    try {
      await pingWithin(deps.redis, 2000);
      return c.json({ status: 'ok' as const, redis: 'ok' }, 200);
    } catch (error) {
      return c.json({ status: 'unavailable' as const, redis: (error as Error).message }, 503);
    }
  });
  app.openAPIRegistry.registerPath(metricsRoute);
  app.get('/metrics', async (c) =>
    c.body(await deps.registry.metrics(), 200, { 'content-type': deps.registry.contentType }),
  );
  registerRunRoutes(app, deps);
  registerDecideRoutes(app, deps);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'gavel API',
      version: GAVEL_VERSION,
      description: 'Runs over HTTP: the same producer, run store and reports as the gavel CLI.',
    },
    security: [{ bearer: [] }],
  });
  app.notFound(() => problemResponse(problem('not-found', 404, 'Not found', 'no such route (see /openapi.json)')));
  app.onError((error, c) => {
    if (isRedisTimeout(error)) {
      deps.logger.warn({ method: c.req.method, path: c.req.path }, 'Redis did not answer in time: 503');
      return redisUnavailableResponse(deps.redisTimeoutS);
    }
    deps.logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return problemResponse(problem('internal', 500, 'Internal error', 'the request failed; the server log says why'));
  });
  return app;
}
