import { describe, expect, it } from 'vitest';
import { decideOwner } from './owner-decision.ts';

describe('decideOwner', () => {
  it('hands the card to vLLM as soon as judge work is pending', () => {
    expect(decideOwner({ owner: 'ollama', pending: 3, now: 1000, idleSince: 10, idleMs: 60_000 })).toEqual({
      want: 'vllm',
      idleSince: undefined,
    });
  });

  it('keeps vLLM until the queue has been empty for the idle time, then gives the card back', () => {
    const first = decideOwner({ owner: 'vllm', pending: 0, now: 1000, idleSince: undefined, idleMs: 5000 });
    expect(first).toEqual({ want: 'vllm', idleSince: 1000 });
    expect(decideOwner({ owner: 'vllm', pending: 0, now: 5999, idleSince: 1000, idleMs: 5000 }).want).toBe('vllm');
    expect(decideOwner({ owner: 'vllm', pending: 0, now: 6000, idleSince: 1000, idleMs: 5000 }).want).toBe('ollama');
  });

  it('restarts the idle clock when work arrives again', () => {
    const busy = decideOwner({ owner: 'vllm', pending: 1, now: 5000, idleSince: 1000, idleMs: 5000 });
    expect(busy.idleSince).toBeUndefined();
    expect(decideOwner({ owner: 'vllm', pending: 0, now: 9000, idleSince: busy.idleSince, idleMs: 5000 }).want).toBe(
      'vllm',
    );
  });

  it('leaves an idle Ollama card where it is', () => {
    expect(decideOwner({ owner: 'ollama', pending: 0, now: 1e9, idleSince: 0, idleMs: 0 }).want).toBe('ollama');
  });

  it('gives the SUT the card while generate jobs wait, preempting the judge, then the judge its turn', () => {
    const at = { now: 1000, idleSince: 10, idleMs: 60_000 };
    expect(decideOwner({ owner: 'ollama', pending: 0, generatePending: 4, ...at })).toEqual({
      want: 'sut',
      idleSince: undefined,
    });
    // Judge work waiting too: generation first.
    expect(decideOwner({ owner: 'ollama', pending: 9, generatePending: 1, ...at }).want).toBe('sut');
    expect(decideOwner({ owner: 'vllm', pending: 9, generatePending: 1, ...at }).want).toBe('sut');
    // Generation done, judge work waiting: at once to the judge, no idle wait.
    expect(decideOwner({ owner: 'sut', pending: 3, generatePending: 0, ...at }).want).toBe('vllm');
    // Without a SUT on the card (undefined), the judge rule alone.
    expect(decideOwner({ owner: 'ollama', pending: 3, ...at }).want).toBe('vllm');
  });

  it('hands an idle SUT card back to Ollama after the idle time, like the judge', () => {
    const first = decideOwner({
      owner: 'sut',
      pending: 0,
      generatePending: 0,
      now: 1000,
      idleSince: undefined,
      idleMs: 500,
    });
    expect(first).toEqual({ want: 'sut', idleSince: 1000 });
    expect(
      decideOwner({ owner: 'sut', pending: 0, generatePending: 0, now: 1500, idleSince: 1000, idleMs: 500 }).want,
    ).toBe('ollama');
  });
});
