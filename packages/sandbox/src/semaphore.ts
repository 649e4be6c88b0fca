/** At most `n` holders at once; waiters are served in order and leave on abort. */
export class Semaphore {
  private held = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly n: number) {}

  /** Waiters queued for a slot now. */
  get waiting(): number {
    return this.queue.length;
  }

  acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    const release = () => {
      this.held--;
      this.queue.shift()?.();
    };
    if (this.held < this.n) {
      this.held++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', onAbort);
        this.held++;
        resolve(release);
      };
      const onAbort = () => {
        const i = this.queue.indexOf(go);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(go);
    });
  }
}
