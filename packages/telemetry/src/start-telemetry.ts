import { createRequire } from 'node:module';
import { ConfigError } from '@gavel/core';
import type * as OtlpGrpc from '@opentelemetry/exporter-trace-otlp-grpc';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as OtlpProto from '@opentelemetry/exporter-trace-otlp-proto';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import type * as TraceNode from '@opentelemetry/sdk-trace-node';
import { samplerFromEnv } from './span-sampler.ts';
import { SyncContextManager } from './sync-context-manager.ts';

// The SDK and exporter take ~0.1 s to load: only a process that traces pays for them.
// Resolved from this package's own place (its src/ or dist/ entry), where its dependencies are installed
// — not from this module's, which is a chunk of apps/<app>/bundle/ once bundled.
const load = createRequire(import.meta.resolve('@gavel/telemetry'));

export interface TelemetryHandle {
  /** False when no OTLP endpoint is configured (tracing is a no-op). */
  enabled: boolean;
  /**
   * Flushes the spans not yet exported, then stops; safe to call twice. Never rejects: spans the
   * collector refuses (or cannot take) are reported in one line on stderr.
   */
  shutdown(): Promise<void>;
}

/** True when the standard OTEL_* variables ask for trace export. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * True when the environment asks for something only the full Node SDK sets up: an exporter other
 * than OTLP (`OTEL_TRACES_EXPORTER`), other propagators (`OTEL_PROPAGATORS`) or resource detectors
 * (`OTEL_NODE_RESOURCE_DETECTORS`). Otherwise the lighter trace provider does the same work, with
 * about half the modules to load at each process start.
 */
export function needsFullSdk(env: NodeJS.ProcessEnv): boolean {
  const exporters = env.OTEL_TRACES_EXPORTER?.trim();
  return Boolean((exporters && exporters !== 'otlp') || env.OTEL_PROPAGATORS || env.OTEL_NODE_RESOURCE_DETECTORS);
}

/** The OTLP protocol the standard variables name; gavel's default is OTLP/HTTP JSON. */
export function otlpProtocol(env: NodeJS.ProcessEnv): 'http/json' | 'http/protobuf' | 'grpc' {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/json').trim();
  if (protocol === 'http/json' || protocol === 'http/protobuf' || protocol === 'grpc') return protocol;
  throw new ConfigError(
    `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not an OTLP protocol: use http/json, http/protobuf or grpc`,
  );
}

interface Provider {
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing exporting over OTLP (HTTP JSON unless `OTEL_EXPORTER_OTLP_PROTOCOL`
 * or `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` says `http/protobuf` or `grpc`); a no-op when no endpoint
 * is set. Call before anything else in the process. The exporter reads the endpoint and headers,
 * the batch processor `OTEL_BSP_*`, the provider the span limits, the resource `OTEL_RESOURCE_ATTRIBUTES`
 * (with the process and host detectors, as the Node SDK does); the sampler is the one
 * `OTEL_TRACES_SAMPLER` names. Other exporters, propagators or detectors start the full Node SDK
 * ({@link needsFullSdk}). `OTEL_SERVICE_NAME` wins over `serviceName`. The environment is read,
 * never written (child processes keep their own service names).
 */
export function startTelemetry(options: {
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  /**
   * How the active context follows the code: `async` (the default) through AsyncLocalStorage, across
   * every `await`; `explicit` only through a synchronous call ({@link SyncContextManager}), for a
   * process whose every traced call is handed its context (a stage worker).
   */
  contextPropagation?: 'async' | 'explicit';
}): TelemetryHandle {
  const env = options.env ?? process.env;
  if (!tracingRequested(env)) return { enabled: false, shutdown: async () => {} };
  const serviceName = env.OTEL_SERVICE_NAME || options.serviceName;
  const contextManager = options.contextPropagation === 'explicit' ? new SyncContextManager() : undefined;
  const provider = needsFullSdk(env)
    ? startNodeSdk(serviceName, env, contextManager)
    : startTraceProvider(serviceName, env, contextManager);
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () => {
      // A collector that refuses the last spans loses them, not the command's result: one line says so.
      stopped ??= provider.shutdown().catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        process.stderr.write(`${serviceName}: the last spans were not exported: ${reason}\n`);
      });
      return stopped;
    },
  };
}

function otlpExporter(env: NodeJS.ProcessEnv): TraceBase.SpanExporter {
  switch (otlpProtocol(env)) {
    case 'http/json': {
      const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
      return new OTLPTraceExporter();
    }
    case 'http/protobuf': {
      const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-proto') as typeof OtlpProto;
      return new OTLPTraceExporter();
    }
    case 'grpc': {
      const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-grpc') as typeof OtlpGrpc;
      return new OTLPTraceExporter();
    }
  }
}

function startTraceProvider(
  serviceName: string,
  env: NodeJS.ProcessEnv,
  contextManager: SyncContextManager | undefined,
): Provider {
  const base = load('@opentelemetry/sdk-trace-base') as typeof TraceBase;
  const { NodeTracerProvider } = load('@opentelemetry/sdk-trace-node') as typeof TraceNode;
  const resources = load('@opentelemetry/resources') as typeof Resources;
  const exporter = otlpExporter(env);
  const provider = new NodeTracerProvider({
    resource: resources
      .defaultResource()
      .merge(
        resources.detectResources({
          detectors: [resources.envDetector, resources.processDetector, resources.hostDetector],
        }),
      )
      .merge(resources.resourceFromAttributes({ 'service.name': serviceName })),
    sampler: samplerFromEnv(env, base),
    // With OTEL_BSP_* (the processor reads them when not given here).
    spanProcessors: [new base.BatchSpanProcessor(exporter)],
  });
  // The W3C trace-context and baggage propagators, and the AsyncLocalStorage context manager unless given one.
  provider.register(contextManager ? { contextManager } : undefined);
  return provider;
}

function startNodeSdk(
  serviceName: string,
  env: NodeJS.ProcessEnv,
  contextManager: SyncContextManager | undefined,
): Provider {
  const { NodeSDK } = load('@opentelemetry/sdk-node') as typeof SdkNode;
  const sdk = new NodeSDK({
    serviceName,
    ...(contextManager ? { contextManager } : {}),
    // OTEL_TRACES_EXPORTER names the exporters; an `otlp` one follows the protocol variables.
    sampler: samplerFromEnv(env, load('@opentelemetry/sdk-trace-base') as typeof TraceBase),
    instrumentations: [],
  });
  sdk.start();
  return sdk;
}
