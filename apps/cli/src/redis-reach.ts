import { CliError } from './cli-error.ts';

// No import of @gavel/queue here: main.ts loads this module at every start, and @gavel/queue brings
// BullMQ, ioredis, prom-client and OpenTelemetry (about 400 CommonJS modules: `gavel --version` took
// twice as long). The caller, which has them loaded, names the target.

/** Socket errors that mean "nothing answers there", as Node and ioredis name them. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

/** The Redis a command talks to, as the one-line error names it. */
export interface WatchedTarget {
  /** e.g. `Redis at redis://127.0.0.1:6379` (password redacted). */
  description: string;
  /** The variable that moves it (GAVEL_REDIS_URL or GAVEL_REDIS_CLUSTER). */
  variable: string;
}

interface Watched {
  target: WatchedTarget;
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
export function watchRedis(target: WatchedTarget, emitters: readonly ErrorEmitter[]): void {
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
    `gavel: cannot reach ${watched.target.description} (${cause.message}); start it or set ${watched.target.variable} (gavel doctor checks it)`,
    1,
  );
}
