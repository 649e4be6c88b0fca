import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseMaxDrop, parseSeed } from './compare.ts';

describe('gavel compare options', () => {
  it('takes --max-drop as percentage points between 0 and 100', () => {
    expect(parseMaxDrop('5')).toBe(5);
    expect(parseMaxDrop('0.5')).toBe(0.5);
    expect(parseMaxDrop('0')).toBe(0);
    for (const bad of ['-1', '101', 'five', '', ' ']) expect(() => parseMaxDrop(bad)).toThrow(InvalidArgumentError);
  });

  it('takes --seed as an integer', () => {
    expect(parseSeed('42')).toBe(42);
    expect(parseSeed('-3')).toBe(-3);
    for (const bad of ['1.5', 'x', '']) expect(() => parseSeed(bad)).toThrow(InvalidArgumentError);
  });
});
