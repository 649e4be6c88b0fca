/** One line of `gavel doctor`. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it fails. */
  fix?: string;
  /** A failed advisory check warns instead of failing `gavel doctor`. */
  advisory?: boolean;
}

/** Below this share of maxmemory left, the memory check warns. */
const LOW_HEADROOM = 0.2;

/** The memory check: used_memory against maxmemory (unbounded or nearly full under noeviction warns). */
export function memoryCheck(usedBytes: number, maxBytes: number): Check {
  const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
  const prune = 'gavel runs rm RUN / gavel runs prune --older-than DAYS frees finished runs';
  if (maxBytes === 0) {
    return {
      name: 'redis memory',
      ok: false,
      advisory: true,
      detail: `${mib(usedBytes)} used, maxmemory unbounded (Redis grows until the host runs out)`,
      fix: `set maxmemory in redis.conf to what the host can give; ${prune}`,
    };
  }
  const headroom = (maxBytes - usedBytes) / maxBytes;
  return {
    name: 'redis memory',
    ok: headroom >= LOW_HEADROOM,
    advisory: true,
    detail: `${mib(usedBytes)} of ${mib(maxBytes)} used (${Math.max(0, Math.round(headroom * 100))}% headroom)`,
    fix: `under noeviction a full Redis refuses every write: ${prune}, or raise maxmemory`,
  };
}
