import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKey, stageQueuePrefix } from '@gavel/core';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApi } from '../support/api-server.ts';
import { jsonl, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

let redis: RedisServer;
let client: Redis;
let api: ApiServer;
let env: NodeJS.ProcessEnv;

const MAX_BODY = 64 * 1024;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SANDBOX: 'none',
    GAVEL_JUDGE: 'facts',
    GAVEL_API_MAX_BODY_BYTES: String(MAX_BODY),
  };
  api = await startApi(env);
});

afterAll(async () => {
  await api?.stop();
  client?.disconnect();
  await redis?.stop();
});

interface ProblemBody {
  type: string;
  status: number;
  detail: string;
  errors?: { line: number | null; field: string; message: string }[];
  more_errors?: number;
}
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
const problemOf = async (response: Response): Promise<ProblemBody & Record<string, any>> =>
  (await response.json()) as ProblemBody;

const ndjson = (body: string, query = '', headers: Record<string, string> = {}) =>
  fetch(`${api.url}/v1/runs${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    body,
  });

async function sandboxJobs(): Promise<number> {
  const queue = new Queue('sandbox', { connection: client, prefix: stageQueuePrefix('gavel', 'sandbox') });
  try {
    return Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}

describe('POST /v1/runs against the real gavel serve process and Redis', () => {
  it('answers a bad body with line-numbered RFC 9457 problems and enqueues nothing', async () => {
    const lines = [
      JSON.stringify(textSample(1)),
      '{"id": "x", "kind": "essay", "prompt": "p", "output": "o", "sut": {"model": "m", "family": "f"}}',
      'not json',
      JSON.stringify(textSample(2, { sut: { model: 'm' } })),
      JSON.stringify(textSample(1)),
    ];
    const response = await ndjson(`${lines.join('\n')}\n`, '?run_id=bad-run');
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = await problemOf(response);
    expect(body.type).toBe('urn:gavel:problem:invalid-dataset');
    expect(body.status).toBe(422);
    expect(body.detail).toBe('4 invalid line(s); nothing was enqueued');
    expect(body.errors).toEqual([
      { line: 2, field: 'kind', message: expect.stringContaining('expected one of') },
      { line: 3, field: '(line)', message: expect.stringMatching(/^not valid JSON/) },
      { line: 4, field: 'sut.family', message: expect.any(String) },
      { line: 5, field: 'id', message: 'duplicate id "s-1" (first on line 1)' },
    ]);
    expect(await client.zcard('gavel:runs')).toBe(0);
    expect(await client.keys('gavel:{run:*')).toEqual([]);
    expect(await sandboxJobs()).toBe(0);
    // the refused submission released its run id: a good body under it now goes through
    const good = await ndjson(jsonl([textSample(1)]), '?run_id=bad-run');
    expect(good.status).toBe(201);
  });

  it('lists the first 20 problems and counts the rest', async () => {
    const body = Array.from({ length: 25 }, (_, i) => `{"id": "n${i}"`).join('\n');
    const response = await ndjson(body);
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.errors).toHaveLength(20);
    expect(problem.errors?.map((e) => e.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(problem.more_errors).toBe(5);
  });

  it('refuses a body past GAVEL_API_MAX_BODY_BYTES with 413, declared or streamed, and enqueues nothing', async () => {
    const before = await client.zcard('gavel:runs');
    const rows = Array.from({ length: 400 }, (_, i) => textSample(i, { id: `big-${i}` }));
    const big = jsonl(rows);
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_BODY);
    const declared = await ndjson(big, '?run_id=too-big');
    expect(declared.status).toBe(413);
    expect((await problemOf(declared)).type).toBe('urn:gavel:problem:body-too-large');
    // the client's next request goes through: a connection left holding the unread rest of the body
    // failed it with 'other side closed' (CI, 2026-12-01)
    expect((await ndjson(jsonl([textSample(1)]), '?run_id=after-413')).status).toBe(201);
    // no Content-Length: a chunked body is cut off where it passes the limit
    const chunks = big.match(/[\s\S]{1,8192}/g) ?? [];
    const streamed = await fetch(`${api.url}/v1/runs?run_id=too-big`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await client.zcard('gavel:runs')).toBe(before + 1); // the follow-up run only
    expect(await client.exists(runKey('gavel', 'too-big', 'manifest'))).toBe(0);
  });

  it('refuses a HumanEval JSON body past GAVEL_API_MAX_BODY_BYTES with 413, declared or streamed', async () => {
    const before = await client.zcard('gavel:runs');
    const samples = Array.from({ length: 400 }, (_, i) => ({
      task_id: `HumanEval/${i % 164}`,
      completion: `    return ${i}  # ${'x'.repeat(200)}\n`,
    }));
    const big = JSON.stringify({ format: 'humaneval', samples, sut: { model: 'acme-coder-7b', family: 'acme' } });
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_BODY);
    const post = (body: string | ReadableStream<Uint8Array>) =>
      fetch(`${api.url}/v1/runs?run_id=he-too-big`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect((await problemOf(declared)).type).toBe('urn:gavel:problem:body-too-large');
    expect((await ndjson(jsonl([textSample(2)]), '?run_id=after-he-413')).status).toBe(201);
    const chunks = big.match(/[\s\S]{1,8192}/g) ?? [];
    const streamed = await post(
      new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      }),
    );
    expect(streamed.status).toBe(413);
    expect(await client.zcard('gavel:runs')).toBe(before + 1); // the follow-up run only
    expect(await client.exists(runKey('gavel', 'he-too-big', 'manifest'))).toBe(0);
  });

  it('parses a body that arrives in small chunks split mid-line, CRLF or not, with the right line numbers', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => JSON.stringify(textSample(i, { id: `chunk-${i}` })));
    rows[36] = '{"id": "chunk-36", "kind": "text"}';
    const chunked = (text: string) =>
      fetch(`${api.url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: new ReadableStream({
          start(controller) {
            const bytes = new TextEncoder().encode(text);
            for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    const bad = await chunked(rows.join('\r\n'));
    expect(bad.status).toBe(422);
    const problem = await problemOf(bad);
    expect(new Set(problem.errors?.map((e) => e.line))).toEqual(new Set([37]));
    rows[36] = JSON.stringify(textSample(36, { id: 'chunk-36' }));
    const good = await chunked(rows.join('\n'));
    expect(good.status).toBe(201);
    // a body read to its end leaves the connection for the next request
    expect(good.headers.get('connection')).toBe('keep-alive');
    expect(await problemOf(good)).toMatchObject({ samples: 50, queued: 50 });
  });

  it('refuses a body that is neither NDJSON nor JSON with 415', async () => {
    const response = await fetch(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b\n',
    });
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('makes a retried POST a no-op: same payload same run, another payload 422, one in progress 409', async () => {
    const body = jsonl(Array.from({ length: 5 }, (_, i) => textSample(i)));
    const key = { 'idempotency-key': 'nightly-2026-12-01' };
    const first = await ndjson(body, '', key);
    expect(first.status).toBe(201);
    const created = await problemOf(first);
    expect(created).toMatchObject({ samples: 5, queued: 5, existed: false });
    const runsAfterFirst = await client.zcard('gavel:runs');

    const again = await ndjson(body, '', key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await problemOf(again)).toEqual(created);
    expect(await client.zcard('gavel:runs')).toBe(runsAfterFirst);

    const other = await ndjson(jsonl([textSample(9)]), '', key);
    expect(other.status).toBe(422);
    expect((await problemOf(other)).type).toBe('urn:gavel:problem:idempotency-conflict');
    expect(await client.zcard('gavel:runs')).toBe(runsAfterFirst);

    // the run id is a key too: the same run id with another dataset is refused, the same one replayed
    const byRunId = await ndjson(body, '?run_id=keyed-run');
    expect(byRunId.status).toBe(201);
    expect((await ndjson(body, '?run_id=keyed-run')).status).toBe(200);
    expect((await ndjson(jsonl([textSample(7)]), '?run_id=keyed-run')).status).toBe(422);

    // a submission whose body is still arriving holds its key: a second one under it gets 409
    const held = heldOpenPost(`${api.url}/v1/runs`, { 'idempotency-key': 'held-key' });
    held.write(`${JSON.stringify(textSample(1))}\n`);
    await waitForPendingKey();
    const conflict = await ndjson(body, '', { 'idempotency-key': 'held-key' });
    expect(conflict.status).toBe(409);
    // refused before its body was read: however much of it had arrived, the connection ends with the answer
    expect(conflict.headers.get('connection')).toBe('close');
    expect((await problemOf(conflict)).type).toBe('urn:gavel:problem:idempotency-in-progress');
    const finished = await held.end(`${JSON.stringify(textSample(2))}\n`);
    expect(finished.status).toBe(201);
    expect(JSON.parse(finished.body)).toMatchObject({ samples: 2, queued: 2 });
  });

  it('enqueues a HumanEval JSON body against the bundled problems', async () => {
    const response = await fetch(`${api.url}/v1/runs?run_id=he-run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        format: 'humaneval',
        samples: [
          { task_id: 'HumanEval/0', completion: '    return False\n' },
          { task_id: 'HumanEval/1', completion: '    return []\n' },
        ],
        sut: { model: 'acme-coder-7b', family: 'acme' },
      }),
    });
    expect(response.status).toBe(201);
    expect(await problemOf(response)).toMatchObject({ run_id: 'he-run', samples: 2, queued: 2 });
    const got = await fetch(`${api.url}/v1/runs/he-run`);
    // a request with no body has nothing left unread: its connection stays
    expect(got.headers.get('connection')).toBe('keep-alive');
    const run = await problemOf(got);
    expect(run.manifest.dataset).toMatchObject({ format: 'humaneval', samples: 2 });
    expect(run.manifest.rubrics.code).toMatchObject({
      id: expect.any(String),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('takes the run id and rubric from headers as from the query, and refuses an unknown rubric', async () => {
    const byHeader = await ndjson(jsonl([textSample(1)]), '', {
      'gavel-run-id': 'header-run',
      'gavel-rubric': 'text-answer@1.0.0',
    });
    expect(byHeader.status).toBe(201);
    expect(await problemOf(byHeader)).toMatchObject({ run_id: 'header-run' });
    const unknown = await ndjson(jsonl([textSample(1)]), '?rubric=no-such-rubric@9.9.9');
    expect(unknown.status).toBe(422);
    expect((await problemOf(unknown)).detail).toMatch(/no-such-rubric@9\.9\.9/);
  });

  it('refuses a cursor that names no run', async () => {
    const response = await fetch(`${api.url}/v1/runs?cursor=no-such-run`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('takes a HumanEval JSON body and names the element of a bad sample', async () => {
    const bad = await fetch(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        format: 'humaneval',
        samples: [
          { task_id: 'HumanEval/0', completion: '    return False\n' },
          { task_id: 'HumanEval/9999', completion: '    pass\n' },
        ],
        sut: { model: 'acme-coder-7b', family: 'acme' },
      }),
    });
    expect(bad.status).toBe(422);
    const problem = await problemOf(bad);
    expect(problem.errors).toEqual([
      { line: 2, field: 'samples: task_id', message: 'unknown task "HumanEval/9999" (not in the problems file)' },
    ]);
    const missingSut = await fetch(`${api.url}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'humaneval', samples: [] }),
    });
    expect(missingSut.status).toBe(422);
    expect((await problemOf(missingSut)).errors).toEqual([{ line: null, field: 'sut', message: expect.any(String) }]);
  });
});

describe('an idempotency claim during a long upload', () => {
  it('is renewed while the body is still arriving: a second POST under the key gets 409 long past the claim', async () => {
    // claims last 1 s on this server; the upload below takes several times that
    const slow = await startApi({ ...env, GAVEL_API_IDEMPOTENCY_CLAIM_S: '1' });
    try {
      const held = heldOpenPost(`${slow.url}/v1/runs`, { 'idempotency-key': 'slow-upload' });
      held.write(`${JSON.stringify(textSample(0, { id: 'slow-0' }))}\n`);
      await waitForPendingKey();
      for (let i = 1; i < 8; i += 1) {
        await sleep(500);
        held.write(`${JSON.stringify(textSample(i, { id: `slow-${i}` }))}\n`);
      }
      const second = await fetch(`${slow.url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': 'slow-upload' },
        body: jsonl([textSample(1)]),
      });
      expect(second.status).toBe(409);
      expect((await problemOf(second)).type).toBe('urn:gavel:problem:idempotency-in-progress');
      const finished = await held.end(`${JSON.stringify(textSample(8, { id: 'slow-8' }))}\n`);
      expect(finished.status).toBe(201);
      expect(JSON.parse(finished.body)).toMatchObject({ samples: 9, queued: 9 });
    } finally {
      await slow.stop();
    }
  });
});

/** A POST whose body the test writes piece by piece (node:http, so the body can stay open). */
function heldOpenPost(url: string, headers: Record<string, string>) {
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...headers } });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return {
    write: (chunk: string) => req.write(chunk),
    end: async (chunk: string) => {
      req.end(chunk);
      return answer;
    },
  };
}

/** Waits (by reading Redis, not by sleeping a fixed time) until a submission holds a pending key. */
async function waitForPendingKey(): Promise<void> {
  for (;;) {
    const keys = await client.keys('gavel:api:idempotency:*');
    for (const key of keys) {
      if ((await client.get(key))?.includes('"pending"')) return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
