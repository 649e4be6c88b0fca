import { type Attributes, type Context, type Link, SpanKind } from '@opentelemetry/api';
import type * as SdkNode from '@opentelemetry/sdk-node';

type Tracing = typeof SdkNode.tracing;
type Sampler = SdkNode.tracing.Sampler;

/**
 * BullMQ's `complete <queue>` span: one per job, an internal child of the job's `process <queue>`
 * span that only repeats its end (no span descends from it: the next job's `process` span is a
 * child of the context that job carries). It is two of the five spans a text sample's trace
 * would have across the workers, so it is not recorded.
 */
export function isDroppedSpan(name: string, kind: SpanKind): boolean {
  return kind === SpanKind.INTERNAL && name.startsWith('complete ');
}

/**
 * The sampler the standard `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` name (the SDK's own
 * choices; unset or unknown: parent-based always-on, the SDK's default).
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv, tracing: Tracing): Sampler {
  const ratio = (): number => {
    const arg = Number(env.OTEL_TRACES_SAMPLER_ARG);
    return env.OTEL_TRACES_SAMPLER_ARG !== undefined && arg >= 0 && arg <= 1 ? arg : 1;
  };
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new tracing.AlwaysOnSampler();
    case 'always_off':
      return new tracing.AlwaysOffSampler();
    case 'traceidratio':
      return new tracing.TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_off':
      return new tracing.ParentBasedSampler({ root: new tracing.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(ratio()) });
    default:
      return new tracing.ParentBasedSampler({ root: new tracing.AlwaysOnSampler() });
  }
}

/** `inner`, except that the spans {@link isDroppedSpan} names are never recorded. */
export function withoutDroppedSpans(inner: Sampler, tracing: Tracing): Sampler {
  return {
    shouldSample(
      context: Context,
      traceId: string,
      name: string,
      kind: SpanKind,
      attributes: Attributes,
      links: Link[],
    ) {
      if (isDroppedSpan(name, kind)) return { decision: tracing.SamplingDecision.NOT_RECORD };
      return inner.shouldSample(context, traceId, name, kind, attributes, links);
    },
    toString: () => `WithoutBullmqCompleteSpans{${inner.toString()}}`,
  };
}
