import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runKey, stageQueuePrefix } from '@gavel/core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { gavel, jsonl, ROOT, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

const run = promisify(execFile);

let redis: RedisServer;
let api: ApiServer;
let dir: string;
let env: NodeJS.ProcessEnv;
/** Every JSON answer the test relied on, by name: type-checked against the spec's generated types at the end. */
const seen: Record<string, unknown> = {};

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-api-runs-'));
  env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'debug', GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' };
  api = await startApi(env);
});

afterAll(async () => {
  await api?.stop();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const baseRows = Array.from({ length: 30 }, (_, i) => textSample(i));
// the candidate answers Paris more often: fixes on i % 3 == 1, none lost
const candidateRows = baseRows.map((r, i) => (i % 3 === 1 ? { ...r, output: 'Paris' } : r));

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
async function getJson(path: string, name?: string): Promise<any> {
  const response = await fetch(`${api.url}${path}`);
  expect(response.status, path).toBe(200);
  const body = await response.json();
  if (name) seen[name] = body;
  return body;
}

async function post(body: string, query: string, name?: string) {
  const response = await fetch(`${api.url}/v1/runs${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  const json = await response.json();
  if (name) seen[name] = json;
  return { status: response.status, json };
}

/** Waits (reading the server's output, not for a fixed time) until it has logged a matching line. */
async function logLine(pattern: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const match = pattern.exec(api.output());
    if (match) return match;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads an SSE stream frame by frame until the `ended` event. */
async function* sseFrames(response: Response): AsyncGenerator<{ event: string; data: Record<string, number> }> {
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event && data) yield { event, data: JSON.parse(data) };
    }
  }
}

describe('the API over a run graded by real worker processes', () => {
  it('submits, follows (SSE), streams verdicts, reports, compares and reviews as the CLI does', async () => {
    const submitted = await post(jsonl(baseRows), '?run_id=api-base', 'submitted');
    expect(submitted.status).toBe(201);
    expect(submitted.json).toEqual({ run_id: 'api-base', samples: 30, queued: 30, existed: false });
    // the same file through gavel enqueue lands in the same run: the same producer, the same dataset hash
    const file = join(dir, 'base.jsonl');
    await writeFile(file, jsonl(baseRows));
    const cli = await gavel(['enqueue', file, '--run', 'api-base', '--json'], env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ run_id: 'api-base', samples: 30, existed: true });
    const sandbox = new Queue('sandbox', {
      connection: { url: redis.url },
      prefix: stageQueuePrefix('gavel', 'sandbox'),
    });
    expect(Object.values(await sandbox.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(30);
    await sandbox.close();
    expect((await post(jsonl(candidateRows), '?run_id=api-candidate')).status).toBe(201);

    const events = await fetch(`${api.url}/v1/runs/api-base/events`);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    const frames = sseFrames(events);
    const first = await frames.next();
    expect(first.value).toMatchObject({ event: 'progress', data: { total: 30, ended: 0 } });

    const workers = startWorkers(env);
    const ended: number[] = [];
    try {
      for await (const frame of frames) {
        ended.push(frame.data.ended as number);
        if (frame.event === 'ended') break;
      }
      const waited = await gavel(['wait', 'api-candidate', '--timeout', '120'], env);
      expect(waited.code, waited.stderr + workers.output()).toBe(0);
    } finally {
      await workers.stop();
    }
    expect(ended.at(-1)).toBe(30);
    expect([...ended].sort((a, b) => a - b)).toEqual(ended);

    const detail = await getJson('/v1/runs/api-base', 'run');
    expect(detail.manifest.run_id).toBe('api-base');
    expect(detail.status).toMatchObject({ total: 30, ended: 30, verdicts: 30, failed: 0 });
    const status = JSON.parse((await gavel(['status', 'api-base', '--json'], env)).stdout);
    expect(detail.status).toEqual(status);

    const page1 = await getJson('/v1/runs?limit=1', 'runs');
    expect(page1.runs.map((r: { run_id: string }) => r.run_id)).toEqual(['api-base']);
    const page2 = await getJson(`/v1/runs?limit=1&cursor=${page1.next_cursor}`);
    expect(page2).toMatchObject({ runs: [{ run_id: 'api-candidate', samples: 30, verdicts: 30 }], next_cursor: null });

    // NDJSON verdicts: exactly what gavel export writes, in the same order
    const out = join(dir, 'base-export.jsonl');
    expect((await gavel(['export', 'api-base', '--out', out], env)).code).toBe(0);
    const exported = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const streamed = await fetch(`${api.url}/v1/runs/api-base/verdicts`);
    expect(streamed.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await streamed.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(exported);
    seen.record = lines[0];
    const fromCursor = (await (await fetch(`${api.url}/v1/runs/api-base/verdicts?cursor=25&status=verdict`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).sample_id);
    expect(fromCursor).toEqual(['s-25', 's-26', 's-27', 's-28', 's-29']);
    expect(await (await fetch(`${api.url}/v1/runs/api-base/verdicts?status=failed`)).text()).toBe('');

    const report = await getJson('/v1/runs/api-base/report', 'report');
    expect(report).toEqual(JSON.parse((await gavel(['report', 'api-base', '--json'], env)).stdout));
    expect(report).toMatchObject({ samples: 30, verdicts: 30, passed: 10 });

    const compared = await getJson('/v1/compare?base=api-base&candidate=api-candidate', 'comparison');
    const cliCompared = await gavel(['compare', 'api-base', 'api-candidate', '--json'], env);
    expect(compared).toEqual(JSON.parse(cliCompared.stdout));
    expect(compared.mcnemar).toMatchObject({ b: 0, c: 10 });

    const review = await fetch(`${api.url}/v1/runs/api-candidate/review?against=api-base`);
    expect(review.status).toBe(200);
    expect(review.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await review.text();
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('api-candidate');

    const retried = await fetch(`${api.url}/v1/runs/api-base/retry`, { method: 'POST' });
    seen.retry = await retried.json();
    expect(seen.retry).toEqual({
      run_id: 'api-base',
      retried: { generate: 0, sandbox: 0, judge: 0, 'arbiter-submit': 0, 'arbiter-collect': 0 },
      total: 0,
    });
    const missing = await fetch(`${api.url}/v1/runs/no-such-run/report`);
    expect(missing.status).toBe(404);
    seen.problem = await missing.json();
    seen.health = await getJson('/healthz');
  });

  it('ends a verdict stream the client cut as cancelled, before the whole run was sent, and keeps serving', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) =>
      textSample(i, { id: `big-${i}`, prompt: `Q${i} ${'x'.repeat(400)}` }),
    );
    expect((await post(jsonl(rows), '?run_id=api-big')).status).toBe(201);
    const controller = new AbortController();
    const response = await fetch(`${api.url}/v1/runs/api-big/verdicts`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const firstChunk = await reader.read();
    expect(firstChunk.value?.byteLength).toBeGreaterThan(0);
    controller.abort();
    // the server says the stream was cancelled, having sent only part of the run
    const cancelled = await logLine(/"runId":"api-big","sent":(\d+),"how":"cancelled"/);
    expect(Number(cancelled[1])).toBeLessThan(3000);
    const whole = await (await fetch(`${api.url}/v1/runs/api-big/verdicts`)).text();
    expect(whole.trim().split('\n')).toHaveLength(3000);
    await logLine(/"runId":"api-big","sent":3000,"how":"complete"/);
  });

  it('ends a stream that fails midway with an error line, never a silent cut', async () => {
    // a stored record that no longer parses, on the 13th page of 200 (samples 2400-2599)
    const client = new Redis(redis.url);
    await client.hset(runKey('gavel', 'api-big', 'samples'), 'big-2500', '{"not": "a sample"');
    client.disconnect();
    const text = await (await fetch(`${api.url}/v1/runs/api-big/verdicts`)).text();
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2401);
    expect(lines.at(-2).sample_id).toBe('big-2399');
    expect(lines.at(-1)).toEqual({ error: { message: expect.any(String), sent: 2400 } });
    await logLine(/"runId":"api-big","sent":2400,"how":"failed"/);
  });

  it('retries failed jobs through POST /v1/runs/{id}/retry, and the samples go on to verdicts', async () => {
    expect((await post(jsonl(baseRows.slice(0, 5)), '?run_id=api-retry')).status).toBe(201);
    // the judge fails every sample (non-retryable) while the rubric's published bytes are missing
    const client = new Redis(redis.url);
    const detail = await getJson('/v1/runs/api-retry');
    const rubricKey = `gavel:rubric:sha256:${detail.manifest.rubrics.text.hash}`;
    const bytes = await client.get(rubricKey);
    expect(bytes).not.toBeNull();
    await client.del(rubricKey);
    const workers = startWorkers(env);
    try {
      expect((await gavel(['wait', 'api-retry', '--timeout', '120'], env)).code).toBe(0);
      expect((await getJson('/v1/runs/api-retry')).status).toMatchObject({ ended: 5, failed: 5, verdicts: 0 });
      const failed = (await (await fetch(`${api.url}/v1/runs/api-retry/verdicts?status=failed`)).text())
        .trim()
        .split('\n');
      expect(failed).toHaveLength(5);
      expect(JSON.parse(failed[0] as string).failure).toMatchObject({ stage: 'judge', code: 'input' });
      await client.set(rubricKey, bytes as string);
      const retried = await fetch(`${api.url}/v1/runs/api-retry/retry?stage=judge`, { method: 'POST' });
      expect(await retried.json()).toEqual({ run_id: 'api-retry', retried: { judge: 5 }, total: 5 });
      expect((await gavel(['wait', 'api-retry', '--timeout', '120'], env)).code).toBe(0);
    } finally {
      await workers.stop();
      client.disconnect();
    }
    expect((await getJson('/v1/runs/api-retry')).status).toMatchObject({ ended: 5, failed: 0, verdicts: 5 });
  });

  it('publishes an OpenAPI 3.1 document whose generated types fit every answer the tests used', async () => {
    const spec = await getJson('/openapi.json');
    const validator = new Validator();
    const result = await validator.validate(spec);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const specFile = join(dir, 'openapi.json');
    await writeFile(specFile, JSON.stringify(spec));
    const typesFile = join(dir, 'api-types.ts');
    await run(process.execPath, [
      join(ROOT, 'apps/api/node_modules/openapi-typescript/bin/cli.js'),
      specFile,
      '-o',
      typesFile,
    ]);
    // what the tests sent and got, typed by the generated paths: a route or field the document lacks fails tsc
    const calls = `import type { components, paths } from './api-types.ts';
type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
export const submitted: Json<paths['/v1/runs']['post']['responses'][201]> = ${JSON.stringify(seen.submitted)};
export const submitQuery: NonNullable<paths['/v1/runs']['post']['parameters']['query']> = { run_id: 'api-base' };
export const runs: Json<paths['/v1/runs']['get']['responses'][200]> = ${JSON.stringify(seen.runs)};
export const run: Json<paths['/v1/runs/{id}']['get']['responses'][200]> = ${JSON.stringify(seen.run)};
export const verdictsQuery: NonNullable<paths['/v1/runs/{id}/verdicts']['get']['parameters']['query']> = { cursor: 25, status: 'verdict' };
export const record: components['schemas']['ExportRecord'] = ${JSON.stringify(seen.record)};
export const report: Json<paths['/v1/runs/{id}/report']['get']['responses'][200]> = ${JSON.stringify(seen.report)};
export const comparison: Json<paths['/v1/compare']['get']['responses'][200]> = ${JSON.stringify(seen.comparison)};
export const retry: Json<paths['/v1/runs/{id}/retry']['post']['responses'][200]> = ${JSON.stringify(seen.retry)};
export const problem: components['schemas']['Problem'] = ${JSON.stringify(seen.problem)};
export const health: Json<paths['/healthz']['get']['responses'][200]> = ${JSON.stringify(seen.health)};
export const events: paths['/v1/runs/{id}/events']['get']['parameters']['path'] = { id: 'api-base' };
export const review: NonNullable<paths['/v1/runs/{id}/review']['get']['parameters']['query']> = { against: 'api-base' };
export const metrics: paths['/metrics']['get']['responses'][200]['content']['text/plain'] = '# HELP';
`;
    const callsFile = join(dir, 'calls.ts');
    await writeFile(callsFile, calls);
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    const compilerOptions = {
      strict: true,
      noEmit: true,
      target: 'es2023',
      module: 'nodenext',
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      types: [],
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['calls.ts'] }));
    const args = ['-p', dir];
    const checked = await run(tsc, args).then(
      () => ({ code: 0, out: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, out: error.stdout }),
    );
    expect(checked.out).toBe('');
    expect(checked.code).toBe(0);
    // and the check bites: an answer with a field the document does not have is refused
    await writeFile(
      callsFile,
      `${calls}export const drift: components['schemas']['Problem'] = { type: 't', title: 't', status: 1, detail: 'd', extra: 1 };\n`,
    );
    const drifted = await run(tsc, args).then(
      () => ({ code: 0, out: '' }),
      (error: { code: number; stdout: string }) => ({ code: error.code, out: error.stdout }),
    );
    expect(drifted.code).not.toBe(0);
    expect(drifted.out).toMatch(/extra/);
  });
});
