import type { Logger } from './logger.ts';

type Handler = (deadlineMs: number) => Promise<void>;

export interface Shutdown {
  /**
   * Registers a named cleanup; handlers run in reverse order of registration. One registered while
   * the shutdown runs is run too (next, being the newest); one registered after it ended is run at once.
   */
  register(name: string, handler: Handler): void;
  /**
   * Marks `startUp` as start-up still under way (it builds parts and registers their handlers): a
   * shutdown that begins meanwhile waits for it to settle (at most the deadline) before it runs the
   * handlers, so that the parts it starts are closed too. Returns `startUp`.
   */
  during<T>(startUp: Promise<T>): Promise<T>;
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

/** Resolves after `ms` (the timer does not hold the process open); `cancel` ends it early. */
function pause(ms: number): { done: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return {
    done,
    cancel() {
      clearTimeout(timer);
      resolveDone();
    },
  };
}

/**
 * One shutdown coordinator per process: the first SIGINT/SIGTERM stops intake and drains within
 * the deadline; a second signal, or the deadline passing, forces the exit. The process exits
 * with 128 + the signal number, as a killed process would. A signal that comes during start-up
 * (see {@link Shutdown.during}) waits for it, so that nothing it starts is left running or behind.
 */
export function createShutdown(options: {
  logger: Logger;
  deadlineMs: number;
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
}): Shutdown {
  const handlers: { name: string; handler: Handler }[] = [];
  const startUps = new Set<Promise<unknown>>();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;
  let ended = false;
  let resolveRequested: (reason: string) => void = () => {};
  const requested = new Promise<string>((resolve) => {
    resolveRequested = resolve;
  });

  const runHandler = async (name: string, handler: Handler): Promise<void> => {
    try {
      options.logger.debug({ handler: name }, 'shutdown step');
      await handler(options.deadlineMs);
    } catch (error) {
      options.logger.error({ err: error, handler: name }, 'shutdown handler failed');
    }
  };

  const run = (reason: string): Promise<void> => {
    running ??= (async () => {
      resolveRequested(reason);
      options.logger.info({ reason, deadlineMs: options.deadlineMs }, 'shutting down');
      if (startUps.size > 0) {
        options.logger.debug({ pending: startUps.size }, 'shutdown waits for start-up');
        const limit = pause(options.deadlineMs);
        await Promise.race([Promise.allSettled([...startUps]), limit.done]);
        limit.cancel();
        // What the start-up's caller registers right after it resolves is registered by now too.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // Newest first, to the last: a handler registered meanwhile is the newest, so it runs next.
      for (let next = handlers.pop(); next; next = handlers.pop()) await runHandler(next.name, next.handler);
      ended = true;
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
      if (ended) {
        void runHandler(name, handler);
        return;
      }
      handlers.push({ name, handler });
    },
    during(startUp) {
      startUps.add(startUp);
      const settled = () => {
        startUps.delete(startUp);
      };
      startUp.then(settled, settled);
      return startUp;
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
