/**
 * A counting semaphore: at most `limit` judge requests in flight per worker process, shared by
 * every job the process runs, so the server's continuous batching stays full without flooding it.
 */
export class InflightLimiter {
  #active = 0;
  #peak = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`in-flight limit must be a positive integer, got ${limit}`);
  }

  get active(): number {
    return this.#active;
  }

  /** The most requests that were ever in flight at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Runs `task` once a slot is free; a waiter whose signal aborts leaves the line. */
  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#active < this.limit) {
      this.#take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.#take();
        resolve();
      };
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(grant);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  #take(): void {
    this.#active += 1;
    if (this.#active > this.#peak) this.#peak = this.#active;
  }

  #release(): void {
    this.#active -= 1;
    const next = this.#waiting.shift();
    if (next) next();
  }
}
