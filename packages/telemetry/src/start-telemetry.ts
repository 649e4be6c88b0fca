import { createRequire } from 'node:module';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as SdkNode from '@opentelemetry/sdk-node';
import { samplerFromEnv, withoutDroppedSpans } from './span-sampler.ts';

// The SDK and exporter take ~0.2 s to load: only a process that traces pays for them.
const load = createRequire(import.meta.url);

export interface TelemetryHandle {
  /** False when no OTLP endpoint is configured (tracing is a no-op). */
  enabled: boolean;
  /** Flushes the spans not yet exported, then stops; safe to call twice. */
  shutdown(): Promise<void>;
}

/** True when the standard OTEL_* variables ask for trace export. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry Node SDK exporting traces over OTLP/HTTP; a no-op when no endpoint is
 * set. Call before anything else in the process. The SDK reads the standard variables itself
 * (endpoint, headers, sampler, batch processor); with no `OTEL_TRACES_EXPORTER` or OTLP protocol
 * set, traces go out as OTLP/HTTP JSON. BullMQ's per-job `complete <queue>` span is not recorded
 * (see span-sampler.ts). `OTEL_SERVICE_NAME` wins over `serviceName`. The
 * environment is read, never written (child processes keep their own service names).
 */
export function startTelemetry(options: { serviceName: string; env?: NodeJS.ProcessEnv }): TelemetryHandle {
  const env = options.env ?? process.env;
  if (!tracingRequested(env)) return { enabled: false, shutdown: async () => {} };
  const chosenByEnv = Boolean(
    env.OTEL_TRACES_EXPORTER || env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL,
  );
  const { NodeSDK, tracing } = load('@opentelemetry/sdk-node') as typeof SdkNode;
  const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || options.serviceName,
    traceExporter: chosenByEnv ? undefined : new OTLPTraceExporter(),
    // The sampler OTEL_TRACES_SAMPLER names, without BullMQ's per-job `complete` span (see span-sampler).
    sampler: withoutDroppedSpans(samplerFromEnv(env, tracing), tracing),
    instrumentations: [],
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () => {
      stopped ??= sdk.shutdown();
      return stopped;
    },
  };
}
