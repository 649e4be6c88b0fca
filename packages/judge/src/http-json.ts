import { InputError, TransientError } from '@gavel/core';
import { Agent, request } from 'undici';
import { isRetryableStatus, retryAfterMs, ServerUnavailable } from './server-failure.ts';

export interface HttpJsonOptions {
  signal: AbortSignal;
  timeoutMs: number;
  headers?: Record<string, string>;
}

/** A request body already serialised as JSON: sent as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * Keep-alive connections to the judge servers (one pool per origin). undici's own deadlines are off:
 * each request has the caller's `timeoutMs` (GAVEL_JUDGE_TIMEOUT_S may exceed undici's 300 s default).
 */
const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

/**
 * One JSON request to a judge server with a deadline. Connection failures and retryable statuses
 * become {@link ServerUnavailable}; 400/422 an `InputError` (this sample's request is wrong);
 * other statuses a `TransientError` (a misconfigured server can be fixed while jobs wait).
 *
 * Sent with undici's `request` rather than `fetch` (or an SDK on top of it): the judge sends hundreds
 * of these a second, and `fetch`'s WHATWG streams cost several times the CPU per request
 * (test/bench/judge-pipeline.ts).
 */
export async function requestJson(
  method: 'GET' | 'POST',
  url: string,
  /** Sent as JSON (a {@link JsonText} as it is). */
  body: unknown,
  options: HttpJsonOptions,
): Promise<unknown> {
  options.signal.throwIfAborted();
  // One controller for the caller's signal and the deadline; a cleared timer rather than
  // AbortSignal.timeout(), which would keep every request's signal alive until its deadline.
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(new DOMException(`${method} ${url}: no answer within ${options.timeoutMs} ms`, 'TimeoutError')),
    options.timeoutMs,
  );
  const onAbort = (): void => deadline.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await send(method, url, body, options, deadline.signal);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
  }
}

async function send(
  method: 'GET' | 'POST',
  url: string,
  body: unknown,
  options: HttpJsonOptions,
  signal: AbortSignal,
): Promise<unknown> {
  // Why the request ended early: the caller's cancellation is rethrown as it is, anything else
  // (the deadline, a connection failure) is the server's unavailability.
  const unavailable = (error: unknown, what: string): never => {
    if (options.signal.aborted) throw options.signal.reason;
    const reason = signal.aborted ? (signal.reason as Error) : (error as Error);
    throw new ServerUnavailable(
      `${method} ${url}: ${what}${reason.cause ? String(reason.cause) : reason.message}`,
      undefined,
      undefined,
      { cause: error },
    );
  };
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method,
      dispatcher,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
      body: body === undefined ? undefined : body instanceof JsonText ? body.text : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    return unavailable(error, '');
  }
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    return unavailable(error, 'reading the response failed: ');
  }
  const status = response.statusCode;
  if (status < 200 || status > 299) {
    const detail = `${method} ${url}: HTTP ${status} ${text.slice(0, 500)}`;
    if (isRetryableStatus(status)) throw new ServerUnavailable(detail, status, retryAfterMs(headerReader(response)));
    if (status === 400 || status === 422) throw new InputError(detail);
    throw new TransientError(detail);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ServerUnavailable(
      `${method} ${url}: the server answered HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`,
      status,
    );
  }
}

/** undici's header record (lower-case names) read as `Headers.get` reads. */
function headerReader(response: { headers: Record<string, string | string[] | undefined> }): {
  get(name: string): string | null;
} {
  return {
    get(name) {
      const value = response.headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
