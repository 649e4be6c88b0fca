export type { LoggerOptions } from './logger.ts';
export { createLogger, REDACT_PATHS, traceMixin } from './logger.ts';
export type { Metrics } from './metrics.ts';
export { createMetrics } from './metrics.ts';
export type { MetricsServer, MetricsServerOptions } from './metrics-server.ts';
export { createProcessRegistry, startMetricsServer } from './metrics-server.ts';
export type { ProcessTelemetry } from './process-telemetry.ts';
export { startProcessTelemetry } from './process-telemetry.ts';
export type { SdRegistration, SdTarget } from './prom-sd-dir.ts';
export { registerSdTarget } from './prom-sd-dir.ts';
export type { SampledQueue } from './queue-depth-sampler.ts';
export { DEPTH_STATES, startQueueDepthSampler } from './queue-depth-sampler.ts';
export { jobTraceContext, jobTraceLink, jobTraceMetadata, queueTelemetry } from './queue-telemetry.ts';
export type { ProgressSource } from './run-progress-sampler.ts';
export { startRunProgressSampler } from './run-progress-sampler.ts';
export type { GavelSpanName, SampleTrace, SpanOptions } from './spans.ts';
export {
  activeSpanLink,
  activeSpanRecording,
  annotateActiveSpan,
  SPAN_ATTR,
  startSampleTrace,
  withSpan,
} from './spans.ts';
export { metricsStageHooks, metricsStoreObserver, sandboxOutcome } from './stage-hooks.ts';
export type { TelemetryHandle } from './start-telemetry.ts';
export { startTelemetry, tracingRequested } from './start-telemetry.ts';
export type { TraceContext } from './sync-context-manager.ts';
export { activeContext, inContext, SyncContextManager } from './sync-context-manager.ts';
