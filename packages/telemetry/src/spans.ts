import { type Attributes, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

export type GavelSpanName =
  | 'gavel.enqueue'
  | 'gavel.sandbox.run'
  | 'gavel.judge.request'
  | 'gavel.arbiter.submit'
  | 'gavel.arbiter.collect';

/** Span attribute keys (bounded, documented names). */
export const SPAN_ATTR = {
  runId: 'gavel.run_id',
  sampleId: 'gavel.sample_id',
  rubricHash: 'gavel.rubric_hash',
  model: 'gen_ai.request.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
} as const;

/** Runs `fn` inside a child span of the active context; records errors and ends the span. */
export async function withSpan<T>(
  name: GavelSpanName,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer('gavel').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
