import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError, TransientError } from '@gavel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonText, requestJson } from './http-json.ts';
import { ServerUnavailable } from './server-failure.ts';

// A loopback server whose answer is chosen by the path; /hang never answers.
const hanging: ServerResponse[] = [];
const received: string[] = [];
const server = createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => {
    raw += c;
  });
  req.on('end', () => {
    received.push(raw);
    if (req.url === '/hang') {
      hanging.push(res);
      return;
    }
    if (req.url === '/429') {
      res.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' });
      res.end('{"error":"slow down"}');
      return;
    }
    if (req.url === '/400') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"message":"maximum context length is 16384 tokens"}');
      return;
    }
    if (req.url === '/401') {
      res.writeHead(401);
      res.end('no key');
      return;
    }
    if (req.url === '/not-json') {
      res.writeHead(200);
      res.end('<html>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ echo: raw === '' ? null : JSON.parse(raw) }));
  });
});
let base = '';
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  for (const res of hanging) res.destroy();
  server.close();
});

const options = (signal = new AbortController().signal, timeoutMs = 5_000) => ({ signal, timeoutMs });
const failure = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: Error) => error,
  );

describe('requestJson', () => {
  it('sends a body as JSON, and JsonText as it is', async () => {
    expect(await requestJson('POST', `${base}/ok`, { a: [1, 'x'] }, options())).toEqual({ echo: { a: [1, 'x'] } });
    expect(await requestJson('POST', `${base}/ok`, new JsonText('{"b":true}'), options())).toEqual({
      echo: { b: true },
    });
    expect(received.slice(-2)).toEqual(['{"a":[1,"x"]}', '{"b":true}']);
  });

  it('maps statuses: 429 waits with its Retry-After, 400 is the input, others transient', async () => {
    const limited = await failure(requestJson('GET', `${base}/429`, undefined, options()));
    expect(limited).toBeInstanceOf(ServerUnavailable);
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 3000 });
    const refused = await failure(requestJson('POST', `${base}/400`, {}, options()));
    expect(refused).toBeInstanceOf(InputError);
    expect(refused.message).toMatch(/HTTP 400 .*maximum context length is 16384 tokens/);
    const unauthorised = await failure(requestJson('GET', `${base}/401`, undefined, options()));
    expect(unauthorised).toBeInstanceOf(TransientError);
    expect(unauthorised).not.toBeInstanceOf(ServerUnavailable);
    expect(unauthorised.message).toMatch(/HTTP 401 no key/);
    const garbled = await failure(requestJson('GET', `${base}/not-json`, undefined, options()));
    expect(garbled).toBeInstanceOf(ServerUnavailable);
    expect(garbled.message).toMatch(/not JSON: <html>/);
  });

  it('gives up at its deadline as the server being unavailable', async () => {
    const late = await failure(requestJson('GET', `${base}/hang`, undefined, options(undefined, 200)));
    expect(late).toBeInstanceOf(ServerUnavailable);
    expect(late.message).toMatch(/GET .*\/hang: no answer within 200 ms/);
  });

  it("rethrows the caller's cancellation as it is, before or during the request", async () => {
    const before = new AbortController();
    const reason = new Error('job cancelled');
    before.abort(reason);
    expect(await failure(requestJson('GET', `${base}/ok`, undefined, options(before.signal)))).toBe(reason);
    const during = new AbortController();
    const pending = failure(requestJson('GET', `${base}/hang`, undefined, options(during.signal)));
    setTimeout(() => during.abort(reason), 50);
    expect(await pending).toBe(reason);
  });

  it('reports a server that is not listening as unavailable', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');
    const down = await failure(requestJson('GET', `http://127.0.0.1:${port}/`, undefined, options()));
    expect(down).toBeInstanceOf(ServerUnavailable);
    expect(down.message).toMatch(/ECONNREFUSED/);
  });
});
