import {
  type Context,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import { BullMQOtel } from 'bullmq-otel';

/** BullMQ telemetry that carries the trace context inside each job, so one sample is one trace across queues. */
export function queueTelemetry(serviceName: string): BullMQOtel {
  return new BullMQOtel({ tracerName: serviceName, version: '0.1.0', enableMetrics: false });
}

/**
 * `ctx` (default: the active context) as a job's `opts.telemetry.metadata`, in the format
 * bullmq-otel writes and reads (the propagator's carrier as JSON): a job added with it is processed
 * in a child span of `ctx`, whatever context the adding code runs in. Absent when nothing is
 * propagated (tracing off).
 */
export function jobTraceMetadata(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : undefined;
}

/** The context a job's `opts.telemetry.metadata` carries; absent when it carries none. */
export function jobTraceContext(metadata: string | undefined): Context | undefined {
  if (!metadata) return undefined;
  let carrier: unknown;
  try {
    carrier = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  const ctx = propagation.extract(ROOT_CONTEXT, carrier);
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && isSpanContextValid(spanContext) ? ctx : undefined;
}

/** A span link to the context a job's metadata carries. */
export function jobTraceLink(metadata: string | undefined): Link | undefined {
  const ctx = jobTraceContext(metadata);
  const spanContext = ctx && trace.getSpanContext(ctx);
  return spanContext ? { context: spanContext } : undefined;
}
