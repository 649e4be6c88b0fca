import {
  type Context,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api';
import { SpanKind, type Telemetry } from 'bullmq';

type BullmqSpan = ReturnType<Telemetry<Context>['tracer']['startSpan']>;
type BullmqAttributes = Parameters<BullmqSpan['setAttributes']>[0];

/**
 * The BullMQ spans gavel does not make (see {@link queueTelemetry}): `complete <queue>`, a leaf that
 * only repeats its `process` span's end, and an `add <queue>.<name>` made inside another span (a
 * stage handing its sample on), whose job then hangs off that span directly.
 */
export function skipsBullmqSpan(name: string, kind: SpanKind, parentIsRecording: boolean): boolean {
  if (kind === SpanKind.INTERNAL) return name.startsWith('complete ');
  return kind === SpanKind.PRODUCER && parentIsRecording && name.startsWith('add ');
}

/** A BullMQ span that is not made: the context stays its parent's, so what it would carry carries that. */
const PASS_THROUGH: BullmqSpan = {
  setSpanOnContext: (ctx: Context) => ctx,
  setAttribute() {},
  setAttributes() {},
  addEvent() {},
  recordException() {},
  end() {},
};

class RecordedSpan implements BullmqSpan {
  constructor(private readonly span: Span) {}
  setSpanOnContext(ctx: Context): Context {
    return trace.setSpan(ctx, this.span);
  }
  setAttribute(key: string, value: NonNullable<BullmqAttributes[string]>): void {
    this.span.setAttribute(key, value);
  }
  setAttributes(attributes: BullmqAttributes): void {
    this.span.setAttributes(attributes);
  }
  addEvent(name: string, attributes?: BullmqAttributes): void {
    // Its end already says so, and the result (always empty for gavel's stages) is not worth a record.
    if (name === 'job completed') return;
    this.span.addEvent(name, attributes);
  }
  recordException(exception: Parameters<BullmqSpan['recordException']>[0], time?: number): void {
    this.span.recordException(exception, time);
  }
  end(): void {
    this.span.end();
  }
}

/**
 * BullMQ telemetry (its `Telemetry` interface, as bullmq-otel implements it) that carries the trace
 * context inside each job, so one sample is one trace across queues: a job's `process <queue>` span
 * is a child of the span its job was added in. Unlike bullmq-otel it makes no span that would only
 * repeat another ({@link skipsBullmqSpan}): a sample's trace is `gavel.enqueue` → `process sandbox`
 * → `process judge` …, three spans for a facts-only text sample instead of four (five with the
 * `complete` spans), which is most of what tracing costs a job that does little else.
 */
export function queueTelemetry(serviceName: string): Telemetry<Context> {
  const tracer = trace.getTracer(serviceName, '0.1.0');
  return {
    tracer: {
      startSpan(name, options, ctx) {
        const kind = options?.kind ?? SpanKind.INTERNAL;
        const parent = ctx ?? context.active();
        if (skipsBullmqSpan(name, kind, trace.getSpan(parent)?.isRecording() ?? false)) return PASS_THROUGH;
        return new RecordedSpan(tracer.startSpan(name, { kind }, parent));
      },
    },
    contextManager: {
      // A skipped span leaves the context as it was: nothing to enter.
      with: (ctx, fn) => (ctx === context.active() ? fn() : context.with(ctx, fn)),
      active: () => context.active(),
      root: () => ROOT_CONTEXT,
      getMetadata: (ctx) => jobTraceMetadata(ctx) ?? '{}',
      fromMetadata: (active, metadata) => {
        const carrier = parseCarrier(metadata);
        return carrier ? propagation.extract(active, carrier) : active;
      },
    },
  };
}

function parseCarrier(metadata: string | undefined): object | undefined {
  if (!metadata) return undefined;
  try {
    const carrier: unknown = JSON.parse(metadata);
    return typeof carrier === 'object' && carrier !== null ? carrier : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `ctx` (default: the active context) as a job's `opts.telemetry.metadata`, in the format
 * {@link queueTelemetry} (and bullmq-otel) writes and reads (the propagator's carrier as JSON): a job
 * added with it is processed in a child span of `ctx`, whatever context the adding code runs in.
 * Absent when nothing is propagated (tracing off).
 */
export function jobTraceMetadata(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : undefined;
}

/** The context a job's `opts.telemetry.metadata` carries; absent when it carries none. */
export function jobTraceContext(metadata: string | undefined): Context | undefined {
  const carrier = parseCarrier(metadata);
  if (!carrier) return undefined;
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
