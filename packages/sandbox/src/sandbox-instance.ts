import type { Logger } from '@gavel/core';
import type Docker from 'dockerode';
import type { ContainerOwner } from './container-spec.ts';
import { classifyDockerError } from './docker-errors.ts';
import { type EngineDeadlines, engineCall } from './engine-call.ts';
import { EngineEvents } from './engine-events.ts';
import { InstanceLease } from './instance-lease.ts';
import { sweepOrphans } from './orphan-sweep.ts';
import { startPeriodicSweep } from './periodic-sweep.ts';

/** A sandbox instance's presence on the engine: its lease, its containers' engine events, its sweeps. */
export interface SandboxInstance {
  /** The kill/die events of this instance's execution containers. */
  events: EngineEvents;
  /** Stops the sweeps and the events (first, before the instance's containers are removed). */
  stopWatching(): Promise<void>;
  /** Removes the lease (last: until then other instances' sweeps leave this one's containers alone). */
  stopLease(): Promise<void>;
}

/**
 * Starts an instance: its lease container (alive while this process is), the engine events of its
 * containers, a sweep of the containers of instances whose lease has ended, and the same sweep every
 * `sweepIntervalS` until {@link SandboxInstance.stopWatching}. Nothing is left running if a step fails.
 */
export async function startSandboxInstance(
  docker: Docker,
  opts: {
    image: string;
    digest: string;
    owner: ContainerOwner;
    leaseTtlS: number;
    sweepIntervalS: number;
    deadlines: EngineDeadlines;
    logger: Logger;
  },
): Promise<SandboxInstance> {
  const { owner, deadlines, logger } = opts;
  const lease = new InstanceLease(docker, { image: opts.digest, owner, ttlS: opts.leaseTtlS, logger, deadlines });
  await lease.start();
  // A container the engine stopped (a `docker stop`, a daemon shutting down) before its sample
  // finished is never graded: the events say so.
  const events = new EngineEvents(docker, owner.instance, logger);
  try {
    await engineCall('events', null, deadlines.callMs, () => events.start());
    const swept = await sweepOrphans(docker, { self: owner.instance, deadlines });
    if (swept.length > 0) logger.warn({ count: swept.length }, 'removed orphaned sandbox containers');
  } catch (error) {
    events.close();
    await lease.stop();
    throw classifyDockerError(error, opts.image);
  }
  // Then again every interval: a worker killed meanwhile leaves containers no start would see soon.
  const sweeps = startPeriodicSweep(docker, {
    self: owner.instance,
    intervalMs: opts.sweepIntervalS * 1000,
    deadlines,
    logger,
  });
  return {
    events,
    async stopWatching() {
      await sweeps.stop();
      events.close();
    },
    stopLease: () => lease.stop(),
  };
}
