/** Sends one group's items (in call order) and returns one result per item, in the same order. */
export type BatchFlush<I, R> = (group: string, items: readonly I[]) => Promise<readonly R[]>;

interface Pending<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the calls made in one turn of the event loop into one request per group: a stage
 * worker's jobs in flight resume together from one burst of Redis replies, and each then asks the
 * run store the same thing about its own sample. The calls of a turn (its callbacks and every
 * promise continuation they lead to) are flushed once those have run, before the turn's socket
 * writes go out (see write-coalescing.ts), in
 * call order, at most `max` items (and `maxWeight`) per request (a larger turn is split). Each caller gets its own
 * item's result; when a request fails, each of its callers gets that error (one job retries, the
 * others too: none of them was answered). A call alone in its turn goes at once, as a request of one.
 *
 * The pattern is DataLoader's (batching by tick); `group` keeps what one request may touch together
 * (one run's keys: one Redis Cluster slot).
 */
export function turnBatcher<I, R>(options: {
  flush: BatchFlush<I, R>;
  group: (item: I) => string;
  max: number;
  /**
   * Also at most this much `weight` per request (e.g. the characters a request carries): a request
   * closes before the item that would pass it; an item heavier alone goes in a request of its own.
   */
  maxWeight?: { limit: number; of: (item: I) => number };
}): (item: I) => Promise<R> {
  let gathered = new Map<string, Pending<I, R>[]>();
  let scheduled = false;

  const send = (group: string, pending: readonly Pending<I, R>[]): void => {
    let answer: Promise<readonly R[]>;
    try {
      answer = options.flush(
        group,
        pending.map((p) => p.item),
      );
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (results) => {
        if (results.length !== pending.length) {
          const error = new Error(`batched request of ${pending.length} item(s) got ${results.length} result(s)`);
          for (const p of pending) p.reject(error);
          return;
        }
        pending.forEach((p, i) => {
          p.resolve(results[i] as R);
        });
      },
      (error: unknown) => {
        for (const p of pending) p.reject(error);
      },
    );
  };

  const flushTurn = (): void => {
    const turn = gathered;
    gathered = new Map();
    scheduled = false;
    for (const [group, pending] of turn) for (const request of split(pending)) send(group, request);
  };

  const split = (pending: Pending<I, R>[]): Pending<I, R>[][] => {
    const { maxWeight } = options;
    const requests: Pending<I, R>[][] = [];
    let current: Pending<I, R>[] = [];
    let weight = 0;
    for (const p of pending) {
      const w = maxWeight ? maxWeight.of(p.item) : 0;
      const full = current.length === options.max || (maxWeight !== undefined && weight + w > maxWeight.limit);
      if (full && current.length > 0) {
        requests.push(current);
        current = [];
        weight = 0;
      }
      current.push(p);
      weight += w;
    }
    if (current.length > 0) requests.push(current);
    return requests;
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      const group = options.group(item);
      const list = gathered.get(group);
      if (list) list.push({ item, resolve, reject });
      else gathered.set(group, [{ item, resolve, reject }]);
      if (!scheduled) {
        scheduled = true;
        // After this turn's promise continuations (a microtask, then a tick once they have drained),
        // also when the first call comes from a `process.nextTick` callback.
        queueMicrotask(() => process.nextTick(flushTurn));
      }
    });
}
