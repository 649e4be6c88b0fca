import { describeRedisTarget, type RedisTarget, redisTargetVariable } from '@gavel/queue';
import { CliError } from './cli-error.ts';

/** Socket errors that mean "nothing answers there", as Node and ioredis name them. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

interface Watched {
  target: RedisTarget;
  lastError?: Error;
}

/** A Redis client or a BullMQ queue: both say `error` for a failed connection. */
interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

let watched: Watched | undefined;

/**
 * Keeps the CLI's Redis connection errors to itself: ioredis and BullMQ would otherwise print each
 * failed reconnect with its stack. The last one is remembered, for {@link asUnreachable}.
 */
export function watchRedis(target: RedisTarget, emitters: readonly ErrorEmitter[]): void {
  const state: Watched = { target };
  watched = state;
  for (const emitter of emitters)
    emitter.on('error', (error: Error) => {
      state.lastError = error;
    });
}

function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (error.message === 'Connection is closed.') return true;
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/**
 * A command that failed because Redis does not answer, as the one line the CLI prints (the URL's
 * password redacted); undefined for any other error.
 */
export function asUnreachable(error: unknown): CliError | undefined {
  if (watched === undefined || !isUnreachable(error)) return undefined;
  const cause = watched.lastError ?? (error as Error);
  return new CliError(
    `gavel: cannot reach ${describeRedisTarget(watched.target)} (${cause.message}); start it or set ${redisTargetVariable(watched.target)} (gavel doctor checks it)`,
    1,
  );
}
