import { describe, expect, it } from 'vitest';
import { twoLookRule } from './periodic-sweep.ts';

describe('twoLookRule', () => {
  it('takes an instance only when two sweeps in a row found it without a live lease', () => {
    const confirm = twoLookRule();
    expect([...confirm(new Set(['a', 'b']))]).toEqual([]);
    expect([...confirm(new Set(['a', 'c']))]).toEqual(['a']);
    // b's lease came back between the looks: it was never taken; c is on its second look now.
    expect([...confirm(new Set(['c']))]).toEqual(['c']);
  });

  it('forgets an instance whose lease came back: it needs two looks again', () => {
    const confirm = twoLookRule();
    confirm(new Set(['a']));
    confirm(new Set());
    expect([...confirm(new Set(['a']))]).toEqual([]);
    expect([...confirm(new Set(['a']))]).toEqual(['a']);
  });
});
