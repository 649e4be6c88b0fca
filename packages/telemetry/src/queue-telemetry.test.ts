import { SpanKind } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { jobTraceContext, jobTraceMetadata, skipsBullmqSpan } from './queue-telemetry.ts';

describe('the BullMQ spans gavel makes', () => {
  it('skips the `complete` leaf and an add inside a recording span, keeps every other span', () => {
    expect(skipsBullmqSpan('complete judge', SpanKind.INTERNAL, true)).toBe(true);
    expect(skipsBullmqSpan('complete judge', SpanKind.INTERNAL, false)).toBe(true);
    expect(skipsBullmqSpan('add judge.sample', SpanKind.PRODUCER, true)).toBe(true);
    // an add outside any span is the root its job's trace hangs off
    expect(skipsBullmqSpan('add judge.sample', SpanKind.PRODUCER, false)).toBe(false);
    expect(skipsBullmqSpan('addBulk sandbox', SpanKind.PRODUCER, false)).toBe(false);
    expect(skipsBullmqSpan('process judge', SpanKind.CONSUMER, true)).toBe(false);
    expect(skipsBullmqSpan('fail judge', SpanKind.INTERNAL, true)).toBe(false);
    expect(skipsBullmqSpan('moveStalledJobsToWait judge', SpanKind.INTERNAL, false)).toBe(false);
  });

  it('reads no context from metadata that carries none', () => {
    expect(jobTraceContext(undefined)).toBeUndefined();
    expect(jobTraceContext('{}')).toBeUndefined();
    expect(jobTraceContext('not json')).toBeUndefined();
    expect(
      jobTraceContext('{"traceparent":"00-00000000000000000000000000000000-0000000000000000-01"}'),
    ).toBeUndefined();
    // with no propagator registered (tracing off) nothing is written into a job
    expect(jobTraceMetadata()).toBeUndefined();
  });
});
