import { PassThrough } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
    for (const l of c.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
  });
  return { stream, lines, text: () => text };
}

const manager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(manager.enable());
});
afterAll(() => {
  manager.disable();
  context.disable();
});

describe('createLogger', () => {
  it('never writes API keys, tokens or Authorization headers', () => {
    const out = capture();
    const log = createLogger({ name: 't', pretty: false, destination: out.stream });
    const key = 'sk-ant-api03-secret-value-0123456789';
    log.info(
      {
        apiKey: key,
        config: { apiKey: key, token: key, password: key },
        headers: { authorization: `Bearer ${key}`, 'x-api-key': key },
        req: { headers: { authorization: `Bearer ${key}` } },
      },
      'calling the arbiter',
    );
    expect(out.text()).not.toContain('secret-value');
    expect(out.lines[0]).toMatchObject({ apiKey: '[redacted]', headers: { authorization: '[redacted]' } });
  });

  it('adds trace_id and span_id to every line written inside a span, and none outside', () => {
    const out = capture();
    const log = createLogger({ name: 't', pretty: false, destination: out.stream });
    const tracer = new BasicTracerProvider().getTracer('test');
    log.info({}, 'before');
    const ids = tracer.startActiveSpan('work', (span) => {
      log.child({ runId: 'r', sampleId: 's' }).info({}, 'inside');
      span.end();
      return span.spanContext();
    });
    expect(trace.getActiveSpan()).toBeUndefined();
    log.info({}, 'after');
    const [before, inside, after] = out.lines;
    expect(before).not.toHaveProperty('trace_id');
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId, runId: 'r', sampleId: 's' });
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(after).not.toHaveProperty('trace_id');
  });
});
