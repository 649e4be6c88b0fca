import { type Context, type ContextManager, context, ROOT_CONTEXT } from '@opentelemetry/api';

/** An OpenTelemetry context (a span to be the parent of what follows), as code outside this package holds it. */
export type TraceContext = Context;

/**
 * An OpenTelemetry context manager that holds a context only while `with`'s callback runs
 * synchronously, as OpenTelemetry's own StackContextManager does (sdk-trace-web, made for browsers):
 * after the callback's first `await` the active context is the root again. Code that traces across
 * an `await` passes its context on itself ({@link inContext}, `withSpan`'s `parent`).
 *
 * Why: on Node 20 the AsyncLocalStorage context manager (the SDK's default) turns on V8's promise
 * hooks for the whole process once a context is entered, and every promise then costs about three
 * times as much (BullMQ and ioredis make several per job). A stage worker, whose every traced call
 * is given its job's context, traces for a fraction of that.
 */
export class SyncContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.current;
    this.current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}

/**
 * Runs `fn` with `ctx` active (as `context.with` does), or simply runs it when `ctx` is absent or is
 * already the active context. Under {@link SyncContextManager} only `fn`'s synchronous start sees
 * `ctx`, which is where BullMQ reads it (a job added) and where a span takes its parent.
 */
export function inContext<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx === undefined || ctx === context.active() ? fn() : context.with(ctx, fn);
}

/** The active context, to be passed on by code that continues a job's trace after an `await`. */
export function activeContext(): Context {
  return context.active();
}
