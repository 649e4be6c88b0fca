import { InputError, TransientError } from '@gavel/core';
import { isRetryableStatus, retryAfterMs, ServerUnavailable } from './server-failure.ts';

export interface HttpJsonOptions {
  signal: AbortSignal;
  timeoutMs: number;
  headers?: Record<string, string>;
}

/**
 * One JSON request to a judge server with a deadline. Connection failures and retryable statuses
 * become {@link ServerUnavailable}; 400/422 an `InputError` (this sample's request is wrong);
 * other statuses a `TransientError` (a misconfigured server can be fixed while jobs wait).
 */
export async function requestJson(
  method: 'GET' | 'POST',
  url: string,
  body: unknown,
  options: HttpJsonOptions,
): Promise<unknown> {
  // A cleared timer rather than AbortSignal.timeout(), which would keep every request's signal
  // alive until its deadline (hundreds of thousands of them at full throughput).
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(new DOMException(`${method} ${url}: no answer within ${options.timeoutMs} ms`, 'TimeoutError')),
    options.timeoutMs,
  );
  try {
    return await send(method, url, body, options, AbortSignal.any([options.signal, deadline.signal]));
  } finally {
    clearTimeout(timer);
  }
}

async function send(
  method: 'GET' | 'POST',
  url: string,
  body: unknown,
  options: HttpJsonOptions,
  signal: AbortSignal,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    throw new ServerUnavailable(
      `${method} ${url}: ${(error as Error).cause ? String((error as Error).cause) : (error as Error).message}`,
      undefined,
      undefined,
      { cause: error },
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    throw new ServerUnavailable(
      `${method} ${url}: reading the response failed: ${(error as Error).message}`,
      undefined,
      undefined,
      { cause: error },
    );
  }
  if (!response.ok) {
    const detail = `${method} ${url}: HTTP ${response.status} ${text.slice(0, 500)}`;
    if (isRetryableStatus(response.status))
      throw new ServerUnavailable(detail, response.status, retryAfterMs(response.headers));
    if (response.status === 400 || response.status === 422) throw new InputError(detail);
    throw new TransientError(detail);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ServerUnavailable(
      `${method} ${url}: the server answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      response.status,
    );
  }
}
