import type { Telemetry } from 'bullmq';
import { createMetrics, type Metrics } from './metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import { type SampledQueue, startQueueDepthSampler } from './queue-depth-sampler.ts';
import { queueTelemetry } from './queue-telemetry.ts';
import { type ProgressSource, startRunProgressSampler } from './run-progress-sampler.ts';
import { metricsStageHooks, metricsStoreObserver } from './stage-hooks.ts';
import { startTelemetry } from './start-telemetry.ts';

export interface ProcessTelemetry {
  metrics: Metrics;
  /** Pass as `hooks` to runStageProcess / startStageWorker. */
  hooks: ReturnType<typeof metricsStageHooks>;
  /** Pass as `storeObserver` to runStageProcess: verdicts, routing reasons, sandbox outcomes, judge tokens. */
  storeObserver: ReturnType<typeof metricsStoreObserver>;
  /** Pass as `telemetry` to every Queue/Worker so trace context crosses the queues; absent with tracing off. */
  telemetry: Telemetry | undefined;
  metricsUrl: string;
  /** Samples the stage's queue depth and the recent runs' progress until close(). */
  watchStage(options: {
    stage: string;
    queue: SampledQueue;
    store: ProgressSource;
    onError?: (error: Error) => void;
    intervalMs?: number;
  }): void;
  close(): Promise<void>;
}

/** Everything one gavel process needs: tracing (if configured), the metric catalog, /metrics + file_sd. */
export async function startProcessTelemetry(options: {
  serviceName: string;
  metricsHost: string;
  metricsPort: number;
  /** GAVEL_PROM_SD_DIR: the file_sd directory this process registers its /metrics in. */
  sdDir?: string;
  /** See {@link startTelemetry}: `explicit` for a stage whose every traced call is given its job's context. */
  contextPropagation?: 'async' | 'explicit';
}): Promise<ProcessTelemetry> {
  const tracing = startTelemetry({ serviceName: options.serviceName, contextPropagation: options.contextPropagation });
  const metrics = createMetrics();
  const server = await startMetricsServer({
    registry: metrics.registry,
    host: options.metricsHost,
    port: options.metricsPort,
    sdDir: options.sdDir,
    job: options.serviceName,
  });
  const samplers: { stop(): void }[] = [];
  return {
    metrics,
    hooks: metricsStageHooks(metrics),
    storeObserver: metricsStoreObserver(metrics),
    // Without an exporter BullMQ telemetry would still serialise an empty context into every job.
    telemetry: tracing.enabled ? queueTelemetry(options.serviceName) : undefined,
    metricsUrl: server.url,
    watchStage({ stage, queue, store, onError, intervalMs }) {
      samplers.push(
        startQueueDepthSampler({ metrics, stage, queue, onError, intervalMs }),
        startRunProgressSampler({ metrics, store, onError, intervalMs }),
      );
    },
    async close() {
      for (const s of samplers) s.stop();
      await server.close();
      await tracing.shutdown();
    },
  };
}
