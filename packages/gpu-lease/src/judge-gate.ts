import type { Cluster, Redis } from 'ioredis';
import { GpuLease, type GpuOwner, type LeaseRecord } from './lease.ts';
import { type LeaseWatch, watchLease } from './lease-watch.ts';

/** True when `owner` holds the card and may use it (phase `ready`). */
export function ownerMayRun(record: LeaseRecord | undefined, owner: GpuOwner): boolean {
  return record?.owner === owner && record.phase === 'ready';
}

/** The part of a BullMQ `Worker` the gate drives. */
export interface PausableWorker {
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): void | Promise<void>;
  isPaused(): boolean;
}

export interface JudgeGate {
  /** Whose turn opens the gate: `vllm` for the judge worker, `sut` for the generate worker. */
  readonly owner: GpuOwner;
  /** True while the gate's owner holds the card in phase `ready`. */
  isOpen(): boolean;
  /** Resolves when `owner` may use the card; rejects when `signal` aborts. */
  waitForOwner(owner: GpuOwner, signal: AbortSignal): Promise<void>;
  /** Called with `true`/`false` whenever the gate opens or closes; returns an unsubscribe. */
  onChange(listener: (open: boolean) => void): () => void;
  /**
   * Pauses `worker` (without waiting for active jobs) whenever the gate closes and resumes it
   * when it opens; applies the current state at once. Returns a detach function.
   */
  attach(worker: PausableWorker): () => void;
}

/**
 * What a worker uses to run only while its server holds the GPU lease (the judge: `vllm`; the
 * generate worker with a SUT on the card: `sut`): the worker is paused while anyone else owns the
 * card (or nobody does), and every job waits at its start until the gate is open, which covers a
 * job fetched in the moment before a pause.
 */
export function createJudgeGate(watch: LeaseWatch, owner: GpuOwner = 'vllm'): JudgeGate {
  const isOpen = (): boolean => ownerMayRun(watch.current(), owner);
  return {
    owner,
    isOpen,
    waitForOwner(owner, signal) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        if (ownerMayRun(watch.current(), owner)) return resolve();
        const onAbort = (): void => {
          unsubscribe();
          reject(signal.reason);
        };
        const unsubscribe = watch.onChange((record) => {
          if (!ownerMayRun(record, owner)) return;
          unsubscribe();
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    onChange(listener) {
      let open = isOpen();
      return watch.onChange(() => {
        const now = isOpen();
        if (now !== open) {
          open = now;
          listener(now);
        }
      });
    },
    attach(worker) {
      let chain = Promise.resolve();
      const apply = (): void => {
        chain = chain
          .then(async () => {
            const open = isOpen();
            if (open && worker.isPaused()) await worker.resume();
            else if (!open && !worker.isPaused()) await worker.pause(true);
          })
          .catch(() => {});
      };
      apply();
      return watch.onChange(apply);
    },
  };
}

/**
 * Wraps a stage processor so each job first waits for the gate's owner to hold the card (the
 * worker's own abort signal ends the wait on shutdown). Use with {@link JudgeGate.attach} on the worker.
 */
export function gatedProcessor<P, C extends { signal: AbortSignal }>(
  gate: JudgeGate,
  processor: (payload: P, context: C) => Promise<void>,
): (payload: P, context: C) => Promise<void> {
  return async (payload, context) => {
    await gate.waitForOwner(gate.owner, context.signal);
    await processor(payload, context);
  };
}

/**
 * A worker's gate on one GPU's lease (the judge's by default), read-only: `redis` reads the lease, `subscriber`
 * (a connection of its own) follows its channel. `close()` stops following; the caller closes
 * the connections.
 */
export async function startJudgeGate(options: {
  redis: Redis | Cluster;
  subscriber: Redis | Cluster;
  /** GAVEL_STORE_PREFIX, as the gpu-agent uses. */
  prefix: string;
  gpuId: string;
  pollMs: number;
  /** @default vllm */
  owner?: GpuOwner;
}): Promise<{ gate: JudgeGate; close(): Promise<void> }> {
  // The TTL is only used when granting; the judge never holds the lease.
  const lease = new GpuLease({ redis: options.redis, prefix: options.prefix, gpuId: options.gpuId, ttlMs: 1 });
  const watch = watchLease({ lease, subscriber: options.subscriber, pollMs: options.pollMs });
  await watch.ready;
  return { gate: createJudgeGate(watch, options.owner ?? 'vllm'), close: () => watch.close() };
}
