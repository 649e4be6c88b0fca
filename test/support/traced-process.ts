import { startTelemetry, type TelemetryHandle } from '@gavel/telemetry';
import { afterAll, beforeAll } from 'vitest';
import { startOtlpReceiver } from './otlp-receiver.ts';
import { type RedisServer, startRedis } from './redis.ts';

export interface TracedProcess {
  redis: RedisServer;
  receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  handle: TelemetryHandle;
}

/**
 * For a test file that traces in its own process: a Redis server, an OTLP receiver and the SDK
 * registered globally (once per process, so once per file), exporting every 100 ms, started before
 * the file's tests and stopped after them. The returned object is filled in by `beforeAll`.
 */
export function tracedProcess(contextPropagation?: 'async' | 'explicit'): TracedProcess {
  const traced = {} as TracedProcess;
  beforeAll(async () => {
    traced.redis = await startRedis();
    traced.receiver = await startOtlpReceiver();
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: traced.receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    traced.handle = startTelemetry({ serviceName: 'gavel-test', contextPropagation });
  });
  afterAll(async () => {
    await traced.handle?.shutdown();
    await traced.receiver?.close();
    await traced.redis?.stop();
  });
  return traced;
}
