export type { LoggerOptions } from './logger.ts';
export { createLogger, REDACT_PATHS, traceMixin } from './logger.ts';
export type { Metrics } from './metrics.ts';
export { createMetrics } from './metrics.ts';
export type { MetricsServer, MetricsServerOptions } from './metrics-server.ts';
export { startMetricsServer } from './metrics-server.ts';
export type { SdTarget } from './prom-sd-file.ts';
export { editSdFile, updateSdTargets } from './prom-sd-file.ts';
export { metricsStageHooks } from './stage-hooks.ts';
