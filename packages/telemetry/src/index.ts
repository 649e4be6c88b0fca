export type { LoggerOptions } from './logger.ts';
export { createLogger, REDACT_PATHS } from './logger.ts';
