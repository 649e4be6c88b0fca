import type { Logger } from './logger.ts';

type Handler = (deadlineMs: number) => Promise<void>;

export interface Shutdown {
  /** Registers a named cleanup; handlers run in reverse order of registration. */
  register(name: string, handler: Handler): void;
  /** Runs every handler once (safe to call twice); each runs even if another throws. */
  run(reason: string): Promise<void>;
  /**
   * Stops the process from inside (a worker found it is misconfigured): runs every handler as
   * {@link Shutdown.run} does, within the deadline, then exits with `code`.
   */
  exit(code: number, reason: string): Promise<void>;
  /** Resolves when shutdown has begun. */
  readonly requested: Promise<string>;
}

/**
 * One shutdown coordinator per process: the first SIGINT/SIGTERM stops intake and drains within
 * the deadline; a second signal, or the deadline passing, forces the exit. The process exits
 * with 128 + the signal number, as a killed process would.
 */
export function createShutdown(options: {
  logger: Logger;
  deadlineMs: number;
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
}): Shutdown {
  const handlers: { name: string; handler: Handler }[] = [];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;
  let resolveRequested: (reason: string) => void = () => {};
  const requested = new Promise<string>((resolve) => {
    resolveRequested = resolve;
  });

  const run = (reason: string): Promise<void> => {
    running ??= (async () => {
      resolveRequested(reason);
      options.logger.info({ reason, deadlineMs: options.deadlineMs }, 'shutting down');
      for (const { name, handler } of [...handlers].reverse()) {
        try {
          options.logger.debug({ handler: name }, 'shutdown step');
          await handler(options.deadlineMs);
        } catch (error) {
          options.logger.error({ err: error, handler: name }, 'shutdown handler failed');
        }
      }
    })();
    return running;
  };

  const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
  for (const signal of options.signals ?? (['SIGINT', 'SIGTERM'] as const)) {
    process.on(signal, () => {
      const code = 128 + (signalNumbers[signal] ?? 0);
      if (running) {
        options.logger.warn({ signal }, 'second signal: exiting now');
        exit(code);
        return;
      }
      const force = setTimeout(() => {
        options.logger.error({ deadlineMs: options.deadlineMs }, 'shutdown deadline passed: exiting');
        exit(code);
      }, options.deadlineMs + 5_000);
      force.unref();
      run(signal).then(
        () => exit(code),
        () => exit(code),
      );
    });
  }

  return {
    register(name, handler) {
      handlers.push({ name, handler });
    },
    run,
    exit(code, reason) {
      const force = setTimeout(() => exit(code), options.deadlineMs + 5_000);
      force.unref();
      return run(reason).then(
        () => exit(code),
        () => exit(code),
      );
    },
    requested,
  };
}
