import { startTelemetry, withSpan } from '@gavel/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

describe('tracing configured by the endpoint alone (as infra/docker-compose.yml does)', () => {
  it('exports OTLP/HTTP JSON to <endpoint>/v1/traces under the service name, flushed on shutdown', async () => {
    // only the endpoint: no protocol, no exporter choice (the SDK's own default would be protobuf,
    // which the receiver refuses with 415)
    for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_TRACES_EXPORTER']) {
      delete process.env[name];
    }
    delete process.env.OTEL_SERVICE_NAME;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
    const handle = startTelemetry({ serviceName: 'gavel-default-export' });
    expect(handle.enabled).toBe(true);
    const traceId = await withSpan(
      'gavel.enqueue',
      { 'gavel.run_id': 'r1' },
      async (span) => span.spanContext().traceId,
    );
    await handle.shutdown();
    await handle.shutdown(); // twice is harmless
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    expect(spans.map((s) => [s.service, s.name, s.attributes['gavel.run_id']])).toEqual([
      ['gavel-default-export', 'gavel.enqueue', 'r1'],
    ]);
  });
});
