import { BullMQOtel } from 'bullmq-otel';

/** BullMQ telemetry that carries the trace context inside each job, so one sample is one trace across queues. */
export function queueTelemetry(serviceName: string): BullMQOtel {
  return new BullMQOtel({ tracerName: serviceName, version: '0.1.0', enableMetrics: false });
}
