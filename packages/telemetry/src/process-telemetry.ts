import type { BullMQOtel } from 'bullmq-otel';
import { createMetrics, type Metrics } from './metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import { queueTelemetry } from './queue-telemetry.ts';
import { metricsStageHooks } from './stage-hooks.ts';
import { startTelemetry } from './start-telemetry.ts';

export interface ProcessTelemetry {
  metrics: Metrics;
  /** Pass as `hooks` to runStageProcess / startStageWorker. */
  hooks: ReturnType<typeof metricsStageHooks>;
  /** Pass as `telemetry` to every Queue/Worker so trace context crosses the queues. */
  telemetry: BullMQOtel;
  metricsUrl: string;
  close(): Promise<void>;
}

/** Everything one gavel process needs: tracing (if configured), the metric catalog, /metrics + file_sd. */
export async function startProcessTelemetry(options: {
  serviceName: string;
  metricsHost: string;
  metricsPort: number;
  sdFile?: string;
}): Promise<ProcessTelemetry> {
  const tracing = startTelemetry({ serviceName: options.serviceName });
  const metrics = createMetrics();
  const server = await startMetricsServer({
    registry: metrics.registry,
    host: options.metricsHost,
    port: options.metricsPort,
    sdFile: options.sdFile,
    job: options.serviceName,
  });
  return {
    metrics,
    hooks: metricsStageHooks(metrics),
    telemetry: queueTelemetry(options.serviceName),
    metricsUrl: server.url,
    async close() {
      await server.close();
      await tracing.shutdown();
    },
  };
}
