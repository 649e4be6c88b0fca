import { describe, expect, it } from 'vitest';
import { memoryCheck } from './doctor.ts';

const MiB = 1048576;

describe('the Redis memory headroom check', () => {
  it('warns when maxmemory is unbounded (0)', () => {
    const check = memoryCheck(50 * MiB, 0);
    expect(check).toMatchObject({ ok: false, advisory: true });
    expect(check.detail).toBe('50.0 MiB used, maxmemory unbounded (Redis grows until the host runs out)');
  });

  it('passes with 20% or more left and warns below', () => {
    // 800 of 1000 MiB: 200/1000 = 20% left.
    expect(memoryCheck(800 * MiB, 1000 * MiB)).toMatchObject({
      ok: true,
      detail: '800.0 MiB of 1000.0 MiB used (20% headroom)',
    });
    // 900 of 1000 MiB: 10% left.
    expect(memoryCheck(900 * MiB, 1000 * MiB)).toMatchObject({
      ok: false,
      advisory: true,
      detail: '900.0 MiB of 1000.0 MiB used (10% headroom)',
    });
    // Over the limit (noeviction refuses writes): no negative headroom.
    expect(memoryCheck(1100 * MiB, 1000 * MiB).detail).toBe('1100.0 MiB of 1000.0 MiB used (0% headroom)');
  });
});
