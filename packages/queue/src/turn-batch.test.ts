import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { turnBatcher } from './turn-batch.ts';

interface Item {
  run: string;
  n: number;
}

/** A batcher whose flush records each request and answers every item with n × 10. */
function recording(max = 100, maxWeight?: number) {
  const requests: { group: string; ns: number[] }[] = [];
  const call = turnBatcher<Item, number>({
    group: (item) => item.run,
    max,
    // An item weighs its n.
    ...(maxWeight === undefined ? {} : { maxWeight: { limit: maxWeight, of: (item: Item) => item.n } }),
    flush: async (group, items) => {
      requests.push({ group, ns: items.map((i) => i.n) });
      return items.map((i) => i.n * 10);
    },
  });
  return { call, requests };
}

describe('turnBatcher: the calls of one turn in one request per group', () => {
  it('calls made in one turn go in one request, in call order, and each caller gets its own result', async () => {
    const { call, requests } = recording();
    const results = await Promise.all([1, 2, 3].map((n) => call({ run: 'a', n })));
    expect(results).toEqual([10, 20, 30]);
    expect(requests).toEqual([{ group: 'a', ns: [1, 2, 3] }]);
  });

  it('calls from promise continuations of the same turn join the same request', async () => {
    // Three jobs resume from one burst of replies (already-resolved promises), each after two awaits.
    const { call, requests } = recording();
    const resumed = [1, 2, 3].map(async (n) => {
      await Promise.resolve();
      await Promise.resolve();
      return call({ run: 'a', n });
    });
    // One more caller from a nextTick callback in the same turn.
    const fromTick = new Promise<number>((resolve) => process.nextTick(() => resolve(call({ run: 'a', n: 4 }))));
    expect(await Promise.all([...resumed, fromTick])).toEqual([10, 20, 30, 40]);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.ns.sort()).toEqual([1, 2, 3, 4]);
  });

  it('keeps groups apart and splits a group larger than max', async () => {
    const { call, requests } = recording(2);
    const results = await Promise.all([
      call({ run: 'a', n: 1 }),
      call({ run: 'b', n: 2 }),
      call({ run: 'a', n: 3 }),
      call({ run: 'a', n: 5 }),
    ]);
    expect(results).toEqual([10, 20, 30, 50]);
    expect(requests).toEqual([
      { group: 'a', ns: [1, 3] },
      { group: 'a', ns: [5] },
      { group: 'b', ns: [2] },
    ]);
  });

  it('calls of different turns go in different requests; a call alone goes alone', async () => {
    const { call, requests } = recording();
    expect(await call({ run: 'a', n: 1 })).toBe(10);
    await nextTurn();
    expect(await call({ run: 'a', n: 2 })).toBe(20);
    expect(requests).toEqual([
      { group: 'a', ns: [1] },
      { group: 'a', ns: [2] },
    ]);
  });

  it('a failed request fails each of its callers with its error, and other groups are untouched', async () => {
    const failure = new Error('OOM command not allowed');
    const call = turnBatcher<Item, number>({
      group: (item) => item.run,
      max: 100,
      flush: async (group, items) => {
        if (group === 'bad') throw failure;
        return items.map((i) => i.n);
      },
    });
    const settled = await Promise.allSettled([
      call({ run: 'bad', n: 1 }),
      call({ run: 'good', n: 2 }),
      call({ run: 'bad', n: 3 }),
    ]);
    expect(settled).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: failure },
    ]);
  });

  it('a flush that throws synchronously, or answers the wrong number of results, fails its callers', async () => {
    const throwing = turnBatcher<Item, number>({
      group: () => 'g',
      max: 100,
      flush: () => {
        throw new Error('cannot send');
      },
    });
    await expect(throwing({ run: 'g', n: 1 })).rejects.toThrow('cannot send');
    const short = turnBatcher<Item, number>({ group: () => 'g', max: 100, flush: async () => [1] });
    const both = await Promise.allSettled([short({ run: 'g', n: 1 }), short({ run: 'g', n: 2 })]);
    expect(both.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((both[0] as PromiseRejectedResult).reason.message).toMatch(/2 item\(s\) got 1 result/);
  });

  it('closes a request before the item that would pass maxWeight; an item heavier alone goes by itself', async () => {
    const { call, requests } = recording(3, 10);
    // 4+5 = 9, +2 would be 11; 2, +9 would be 11; 9+1 = 10; 30 alone; then 1, 1, 1 fills max 3.
    const ns = [4, 5, 2, 9, 1, 30, 1, 1, 1, 1];
    const results = await Promise.all(ns.map((n) => call({ run: 'a', n })));
    expect(results).toEqual(ns.map((n) => n * 10));
    expect(requests.map((r) => r.ns)).toEqual([[4, 5], [2], [9, 1], [30], [1, 1, 1], [1]]);
  });
});
