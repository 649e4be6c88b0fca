import { describe, expect, it } from 'vitest';
import { answerNeededWithinMs, SlotTime } from './answer-needed.ts';

describe('answerNeededWithinMs', () => {
  it('gives no hint before a slot time is known (the server answers at once)', () => {
    expect(answerNeededWithinMs({ waiting: 10, concurrency: 2, slotMs: null })).toBeUndefined();
  });

  it('is one slot time when nobody waits (the execution takes that long)', () => {
    expect(answerNeededWithinMs({ waiting: 0, concurrency: 2, slotMs: 400 })).toBe(400);
  });

  it('adds one slot time per full round of waiters ahead', () => {
    // 62 waiting at 2 slots: 31 rounds ahead, then its own: 32 × 400 ms.
    expect(answerNeededWithinMs({ waiting: 62, concurrency: 2, slotMs: 400 })).toBe(12_800);
    // 5 waiting at 2 slots: 2 full rounds (4 samples), the fifth shares this sample's round: 3 × 300 ms.
    expect(answerNeededWithinMs({ waiting: 5, concurrency: 2, slotMs: 300 })).toBe(900);
    expect(answerNeededWithinMs({ waiting: 3, concurrency: 4, slotMs: 250 })).toBe(250);
  });
});

describe('SlotTime', () => {
  it('starts at the first sample and moves a fifth of the way to each next one', () => {
    const t = new SlotTime();
    expect(t.ms).toBeNull();
    t.record(500);
    expect(t.ms).toBe(500);
    t.record(250); // 0.8 × 500 + 0.2 × 250
    expect(t.ms).toBe(450);
    t.record(450);
    expect(t.ms).toBe(450);
  });
});
