import { coerceError, type Logger, silentLogger } from '@gavel/core';
import type { Cluster, Redis } from 'ioredis';
import type { GpuLease, LeaseRecord } from './lease.ts';

export interface LeaseWatch {
  /** The lease as last seen (undefined: nobody holds the card). */
  current(): LeaseRecord | undefined;
  /** Called on every change of holder, owner, phase or token; returns an unsubscribe. */
  onChange(listener: (record: LeaseRecord | undefined) => void): () => void;
  /** Resolves once the first reading is in. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

function sameLease(a: LeaseRecord | undefined, b: LeaseRecord | undefined): boolean {
  return a?.token === b?.token && a?.phase === b?.phase && a?.owner === b?.owner && a?.holder === b?.holder;
}

/**
 * Follows one GPU's lease: a pub/sub subscription (grants, phase changes and releases publish)
 * plus polling every `pollMs`, which also sees expiries (Redis publishes nothing for those) and
 * covers messages lost while reconnecting. `subscriber` must be a connection of its own.
 */
export function watchLease(options: {
  lease: GpuLease;
  subscriber: Redis | Cluster;
  pollMs: number;
  logger?: Logger;
}): LeaseWatch {
  const log = options.logger ?? silentLogger;
  const listeners = new Set<(record: LeaseRecord | undefined) => void>();
  let last: LeaseRecord | undefined;
  let closed = false;
  let refreshing: Promise<void> | undefined;
  let again = false;

  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        try {
          const next = await options.lease.current();
          if (closed) return;
          if (!sameLease(last, next)) {
            last = next;
            for (const listener of listeners) listener(next);
          }
        } catch (error) {
          log.warn({ err: coerceError(error) }, 'cannot read the GPU lease');
        }
      } while (again && !closed);
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const channel = options.lease.keys.channel;
  options.subscriber.on('message', (ch: string) => {
    if (ch === channel) void refresh();
  });
  const ready = options.subscriber.subscribe(channel).then(() => refresh());
  const timer = setInterval(() => void refresh(), options.pollMs);
  timer.unref();

  return {
    current: () => last,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      listeners.clear();
      await options.subscriber.unsubscribe(channel).catch(() => {});
    },
  };
}
