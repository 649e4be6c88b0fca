import { createRequire } from 'node:module';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type * as SdkNode from '@opentelemetry/sdk-node';
import { describe, expect, it } from 'vitest';
import { isDroppedSpan, samplerFromEnv, withoutDroppedSpans } from './span-sampler.ts';

const { tracing } = createRequire(import.meta.url)('@opentelemetry/sdk-node') as typeof SdkNode;
const { SamplingDecision } = tracing;
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const decide = (sampler: SdkNode.tracing.Sampler, name: string, kind: SpanKind) =>
  sampler.shouldSample(ROOT_CONTEXT, TRACE, name, kind, {}, []).decision;

describe('span sampler', () => {
  it("drops only BullMQ's internal `complete <queue>` span", () => {
    expect(isDroppedSpan('complete judge', SpanKind.INTERNAL)).toBe(true);
    expect(isDroppedSpan('process judge', SpanKind.CONSUMER)).toBe(false);
    expect(isDroppedSpan('add judge.sample', SpanKind.PRODUCER)).toBe(false);
    expect(isDroppedSpan('gavel.sandbox.run', SpanKind.INTERNAL)).toBe(false);
    const sampler = withoutDroppedSpans(samplerFromEnv({}, tracing), tracing);
    expect(decide(sampler, 'complete sandbox', SpanKind.INTERNAL)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampler, 'process sandbox', SpanKind.CONSUMER)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, 'gavel.enqueue', SpanKind.INTERNAL)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('keeps the sampler OTEL_TRACES_SAMPLER names for every other span', () => {
    const off = withoutDroppedSpans(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }, tracing), tracing);
    expect(decide(off, 'process judge', SpanKind.CONSUMER)).toBe(SamplingDecision.NOT_RECORD);
    expect(samplerFromEnv({}, tracing).toString()).toContain('ParentBased');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_on' }, tracing).toString()).toBe('AlwaysOnSampler');
    // ratio 0: no trace id falls under it; ratio 1: every one does
    const none = samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, tracing);
    expect(decide(none, 'process judge', SpanKind.CONSUMER)).toBe(SamplingDecision.NOT_RECORD);
    const all = samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }, tracing);
    expect(decide(all, 'process judge', SpanKind.CONSUMER)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});
