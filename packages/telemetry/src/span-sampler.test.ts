import { createRequire } from 'node:module';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { samplerFromEnv } from './span-sampler.ts';

const tracing = createRequire(import.meta.url)('@opentelemetry/sdk-trace-base') as typeof TraceBase;
const { SamplingDecision } = tracing;
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const decide = (sampler: TraceBase.Sampler, name: string, kind: SpanKind) =>
  sampler.shouldSample(ROOT_CONTEXT, TRACE, name, kind, {}, []).decision;

describe('span sampler', () => {
  it('is the sampler OTEL_TRACES_SAMPLER names', () => {
    const off = samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }, tracing);
    expect(decide(samplerFromEnv({}, tracing), 'process judge', SpanKind.CONSUMER)).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
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
