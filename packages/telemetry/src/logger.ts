import type { Logger } from '@gavel/core';
import { trace } from '@opentelemetry/api';
import { pino } from 'pino';

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Pretty, human output (default: when stderr is a TTY). */
  pretty?: boolean;
  /** Where JSON lines go instead of stderr (tests). */
  destination?: NodeJS.WritableStream;
}

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
];

/** `trace_id`/`span_id` of the active span, for every line written inside one. */
export function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** pino JSON lines on stderr (pretty on a TTY), with secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      mixin: traceMixin,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      transport: pretty ? { target: 'pino-pretty', options: { destination: 2, colorize: true } } : undefined,
    },
    pretty ? undefined : (options.destination ?? pino.destination(2)),
  ) as unknown as Logger;
}
