import { describe, expect, it } from 'vitest';
import { isOrphan } from './orphan-sweep.ts';

describe('isOrphan', () => {
  const alive = (pid: number) => pid === 7;
  it('same host: orphan when the owner process is gone, however young', () => {
    expect(isOrphan({ 'gavel.owner': '8', 'gavel.host': 'h' }, 100, 101, alive, 'h', 600)).toBe(true);
    expect(isOrphan({ 'gavel.owner': '7', 'gavel.host': 'h' }, 0, 10_000, alive, 'h', 600)).toBe(false);
  });
  it('another host or no owner: orphan only when older than the limit', () => {
    expect(isOrphan({ 'gavel.owner': '8', 'gavel.host': 'other' }, 100, 200, alive, 'h', 600)).toBe(false);
    expect(isOrphan({}, 100, 800, alive, 'h', 600)).toBe(true);
  });
});
