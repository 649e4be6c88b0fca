import { coerceError, type Logger } from '@gavel/core';
import type Docker from 'dockerode';
import type { EngineDeadlines } from './engine-call.ts';
import { sweepOrphans } from './orphan-sweep.ts';

/**
 * Which instances a sweep may take: those found without a live lease in this sweep and in the one
 * before it. A lease that ended while its instance lives (an engine hiccup, a `docker rm`) is started
 * again within seconds, well inside one sweep interval, so that instance is never taken on one look.
 */
export function twoLookRule(): (withoutLease: ReadonlySet<string>) => ReadonlySet<string> {
  let suspects: ReadonlySet<string> = new Set();
  return (withoutLease) => {
    const confirmed = new Set([...withoutLease].filter((instance) => suspects.has(instance)));
    suspects = new Set(withoutLease);
    return confirmed;
  };
}

export interface PeriodicSweep {
  /** Stops the sweeps; waits for the one in progress, if any. */
  stop(): Promise<void>;
}

/**
 * Sweeps orphaned sandbox containers every `intervalMs` while this instance runs: the containers of a
 * worker killed without cleaning up (SIGKILL, OOM, a host gone), a running analysis container with its
 * memory among them, go within about two intervals after its lease lapses, not at the next worker's start.
 * One sweep at a time; a failed sweep is logged and the next one comes as planned.
 */
export function startPeriodicSweep(
  docker: Docker,
  opts: { self: string; intervalMs: number; deadlines: EngineDeadlines; logger: Logger },
): PeriodicSweep {
  const confirm = twoLookRule();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const round = async (): Promise<void> => {
    try {
      const swept = await sweepOrphans(docker, { self: opts.self, deadlines: opts.deadlines, confirm });
      if (swept.length > 0) opts.logger.warn({ count: swept.length }, 'removed orphaned sandbox containers');
    } catch (error) {
      opts.logger.warn({ err: coerceError(error), nextInMs: opts.intervalMs }, 'orphan sweep failed');
    }
  };
  const plan = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = round().then(plan);
    }, opts.intervalMs);
    timer.unref();
  };
  plan();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
