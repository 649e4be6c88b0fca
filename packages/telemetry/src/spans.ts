import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { jobTraceMetadata } from './queue-telemetry.ts';

/**
 * gavel's own spans. One sample is one trace: `gavel.enqueue` is its root, each stage's BullMQ
 * `process <queue>` span carries `gavel.run_id`/`gavel.sample_id`/`gavel.stage`, and these are the
 * children that do the work.
 */
export type GavelSpanName =
  /** The producer's root span of one sample (its trace id is what `gavel export` prints). */
  | 'gavel.enqueue'
  /** A code sample's run in the sandbox: its disposable exec container and the shared analysers. */
  | 'gavel.sandbox.run'
  /** One HTTP request to the local judge (each of the k+1 answers, each retry its own span). */
  | 'gavel.judge.request'
  /** One Message Batch create, in the trace of the sample whose job sent it; links to every member sample. */
  | 'gavel.arbiter.submit'
  /** One synchronous arbiter request (`openai-compatible`). */
  | 'gavel.arbiter.request'
  /** Streaming an ended batch's results, in the trace of the sample whose job read them. */
  | 'gavel.arbiter.results'
  /** One sample's batch result recorded, in that sample's own trace; links to the `gavel.arbiter.results` span. */
  | 'gavel.arbiter.collect';

/** Span attribute keys (bounded, documented names; `gen_ai.*` follow the OpenTelemetry GenAI conventions). */
export const SPAN_ATTR = {
  runId: 'gavel.run_id',
  sampleId: 'gavel.sample_id',
  stage: 'gavel.stage',
  sampleKind: 'gavel.sample_kind',
  datasetHash: 'gavel.dataset_sha256',
  rubric: 'gavel.rubric',
  rubricHash: 'gavel.rubric_hash',
  sandboxImage: 'gavel.sandbox.image',
  sandboxImageDigest: 'gavel.sandbox.image_digest',
  sandboxOutcome: 'gavel.sandbox.outcome',
  sandboxExitCode: 'gavel.sandbox.exit_code',
  sandboxTimedOut: 'gavel.sandbox.timed_out',
  sandboxOomKilled: 'gavel.sandbox.oom_killed',
  testsPassed: 'gavel.tests.passed',
  testsTotal: 'gavel.tests.total',
  judgePath: 'gavel.judge.path',
  judgeAttempt: 'gavel.judge.attempt',
  model: 'gen_ai.request.model',
  seed: 'gen_ai.request.seed',
  temperature: 'gen_ai.request.temperature',
  maxTokens: 'gen_ai.request.max_tokens',
  finishReason: 'gen_ai.response.finish_reason',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheWriteTokens: 'gen_ai.usage.cache_creation.input_tokens',
  batchId: 'gavel.arbiter.batch_id',
  customId: 'gavel.arbiter.custom_id',
  attempt: 'gavel.arbiter.attempt',
  requestCount: 'gavel.arbiter.request_count',
  flushReason: 'gavel.arbiter.flush_reason',
  resultCount: 'gavel.arbiter.result_count',
  resultType: 'gavel.arbiter.result_type',
} as const;

export interface SpanOptions {
  /** Parent context instead of the active one (e.g. a sample's context read from its job). */
  parent?: Context;
  links?: Link[];
  kind?: SpanKind;
}

/**
 * Runs `fn` inside a child span of the active context (or of `options.parent`); records errors
 * and ends the span. A no-op span when tracing is off.
 */
export async function withSpan<T>(
  name: GavelSpanName,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: SpanOptions = {},
): Promise<T> {
  const spanOptions = { attributes, links: options.links, kind: options.kind };
  const run = async (span: Span): Promise<T> => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  };
  const tracer = trace.getTracer('gavel');
  return options.parent
    ? tracer.startActiveSpan(name, spanOptions, options.parent, run)
    : tracer.startActiveSpan(name, spanOptions, run);
}

/** Sets attributes on the active span (a stage's `process <queue>` span); nothing when there is none. */
export function annotateActiveSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** True when the active span records (tracing is on and this trace is sampled). */
export function activeSpanRecording(): boolean {
  return trace.getActiveSpan()?.isRecording() ?? false;
}

/** A link to the active span, for a span that starts in another trace; none when nothing records. */
export function activeSpanLink(attributes?: Attributes): Link | undefined {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return undefined;
  return { context: span.spanContext(), attributes };
}

/** A root span of its own trace, started now; the caller ends it. */
export interface SampleTrace {
  span: Span;
  /** The span's context in the job-metadata format bullmq-otel reads; absent when tracing is off. */
  metadata: string | undefined;
  /** The trace id, only when the trace is sampled (recorded and exported). */
  traceId: string | undefined;
  /** Ends the span, marking it failed when given an error. */
  end(error?: Error): void;
}

/**
 * Starts the `gavel.enqueue` root span of one sample: a new trace each (never a child of the
 * active context). With tracing off this is the no-op tracer's span, with no metadata and no id.
 */
export function startSampleTrace(attributes: Attributes): SampleTrace {
  const span = trace
    .getTracer('gavel')
    .startSpan('gavel.enqueue', { root: true, kind: SpanKind.PRODUCER, attributes }, ROOT_CONTEXT);
  const context = span.spanContext();
  const valid = isSpanContextValid(context);
  return {
    span,
    metadata: valid ? jobTraceMetadata(trace.setSpan(ROOT_CONTEXT, span)) : undefined,
    traceId: valid && (context.traceFlags & TraceFlags.SAMPLED) !== 0 ? context.traceId : undefined,
    end(error) {
      if (error) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      span.end();
    },
  };
}
