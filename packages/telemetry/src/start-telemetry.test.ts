import { ConfigError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { needsFullSdk, otlpProtocol, startTelemetry, tracingRequested } from './start-telemetry.ts';

describe('tracing configuration from the standard variables', () => {
  it('traces only with an endpoint, and not when the SDK is disabled', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBe(
      false,
    );
    expect(startTelemetry({ serviceName: 'gavel-test', env: {} }).enabled).toBe(false);
  });

  it('exports OTLP/HTTP JSON unless a protocol is named; the traces-specific variable wins', () => {
    expect(otlpProtocol({})).toBe('http/json');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toBe('http/protobuf');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })).toBe(
      'http/json',
    );
    expect(() => otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' })).toThrow(ConfigError);
    expect(() => otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL=http/);
  });

  it('starts the full Node SDK only for what the light provider does not set up', () => {
    expect(needsFullSdk({})).toBe(false);
    expect(needsFullSdk({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
    expect(needsFullSdk({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toBe(true);
    expect(needsFullSdk({ OTEL_TRACES_EXPORTER: 'zipkin' })).toBe(true);
    expect(needsFullSdk({ OTEL_PROPAGATORS: 'b3' })).toBe(true);
    expect(needsFullSdk({ OTEL_NODE_RESOURCE_DETECTORS: 'env' })).toBe(true);
  });
});
