import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { SyncContextManager } from './sync-context-manager.ts';

const KEY = createContextKey('test');
const outer = ROOT_CONTEXT.setValue(KEY, 'outer');
const inner = ROOT_CONTEXT.setValue(KEY, 'inner');

describe('SyncContextManager', () => {
  it('holds the context for the synchronous call and restores the one before it, nested', () => {
    const m = new SyncContextManager();
    expect(m.active()).toBe(ROOT_CONTEXT);
    const seen = m.with(outer, () => {
      const first = m.active();
      const nested = m.with(inner, () => m.active());
      return [first, nested, m.active()];
    });
    expect(seen).toEqual([outer, inner, outer]);
    expect(m.active()).toBe(ROOT_CONTEXT);
  });

  it('restores the context when the callback throws', () => {
    const m = new SyncContextManager();
    expect(() =>
      m.with(outer, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(m.active()).toBe(ROOT_CONTEXT);
  });

  it('does not carry the context past an await: the code after it runs in the root context', async () => {
    const m = new SyncContextManager();
    const seen = await m.with(outer, async () => {
      const before = m.active();
      await null;
      return [before, m.active()];
    });
    expect(seen).toEqual([outer, ROOT_CONTEXT]);
  });

  it('passes thisArg and arguments, and a bound function runs in its context', () => {
    const m = new SyncContextManager();
    const self = { n: 2 };
    expect(
      m.with(
        outer,
        function (this: typeof self, a: number, b: number) {
          return this.n * a + b;
        },
        self,
        3,
        4,
      ),
    ).toBe(10);
    const bound = m.bind(inner, (x: number) => [x, m.active()]);
    expect(bound(1)).toEqual([1, inner]);
    expect(m.active()).toBe(ROOT_CONTEXT);
    const notAFunction = { a: 1 };
    expect(m.bind(inner, notAFunction)).toBe(notAFunction);
  });

  it('disable drops whatever context was left active', () => {
    const m = new SyncContextManager();
    m.with(outer, () => {
      m.disable();
      expect(m.active()).toBe(ROOT_CONTEXT);
    });
  });
});
