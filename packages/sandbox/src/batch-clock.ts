/**
 * The analysis server's deadline, measured on the batch it is running, never on time a request spent
 * queued behind other batches. The server runs one pyright batch at a time and starts the next batch
 * when it has answered the last one — or, while it gathers a batch for answers not yet needed, at most
 * 20 s later — so the batch now running started at most that long after the server last answered
 * anything (or, when it had nothing to do, after a request reached it). The clock counts from
 * there: a server that answers nothing for `deadlineMs` while requests are outstanding is stuck on its
 * running batch (`onStuck`), however many requests are queued behind it. A request abandoned by its
 * sample (an abort) stays outstanding until the server answers it, since the server still works on it.
 */
export class BatchClock {
  private readonly outstanding = new Map<string, number>();
  private busySince = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deadlineMs: number,
    /** Called once when the running batch has gone `deadlineMs` without an answer. */
    private readonly onStuck: (ranMs: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A request was written to the server. */
  sent(id: string): void {
    const t = this.now();
    if (this.outstanding.size === 0) {
      this.busySince = t;
      this.arm();
    }
    this.outstanding.set(id, t);
  }

  /** The server answered a line (for `id`, or for no request it could name): it is working. */
  answered(id: string | null): void {
    if (id !== null) this.outstanding.delete(id);
    this.busySince = this.now();
    if (this.outstanding.size > 0) this.arm();
    else this.disarm();
  }

  /** The server is gone: nothing is outstanding on it any more. */
  reset(): void {
    this.outstanding.clear();
    this.disarm();
  }

  /** Requests written and not answered yet (the one running and those queued behind it). */
  get pending(): number {
    return this.outstanding.size;
  }

  private arm(): void {
    this.disarm();
    const left = Math.max(0, this.deadlineMs - (this.now() - this.busySince));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.outstanding.size > 0) this.onStuck(this.now() - this.busySince);
    }, left);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
