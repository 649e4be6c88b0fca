import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

export interface TelemetryHandle {
  /** False when no OTLP endpoint is configured (tracing is a no-op). */
  enabled: boolean;
  shutdown(): Promise<void>;
}

/** True when the standard OTEL_* variables ask for trace export. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry Node SDK exporting traces over OTLP/HTTP (the exporter reads
 * OTEL_EXPORTER_OTLP_* itself); a no-op when no endpoint is set. Call before anything else.
 */
export function startTelemetry(options: { serviceName: string; env?: NodeJS.ProcessEnv }): TelemetryHandle {
  const env = options.env ?? process.env;
  if (!tracingRequested(env)) return { enabled: false, shutdown: async () => {} };
  env.OTEL_SERVICE_NAME ??= options.serviceName;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
