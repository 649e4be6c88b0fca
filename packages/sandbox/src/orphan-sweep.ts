import type Docker from 'dockerode';
import { INSTANCE_LABEL, SANDBOX_LABEL, SANDBOX_LABEL_VALUE } from './container-spec.ts';
import { classifyDockerError } from './docker-errors.ts';
import { DEFAULT_ENGINE_DEADLINES, type EngineDeadlines, engineCall } from './engine-call.ts';

/** What the sweep reads of each labelled container (`docker ps -a`). */
export interface SweptContainer {
  Id: string;
  Labels: Record<string, string>;
  /** `created`, `running`, `exited`, … */
  State: string;
  /** Seconds since the epoch. */
  Created: number;
}

export interface SweepRules {
  /** The sweeping instance: its own containers are never orphans. */
  self: string;
  nowS: number;
  /** A lease container created this recently and not yet running still counts (its instance is starting). */
  leaseStartS: number;
  /** Containers with no instance label (an older gavel) are orphans past this age. */
  maxAgeS: number;
}

/**
 * The containers to remove: those of sandbox instances with no live lease (a running lease container,
 * or one created under `leaseStartS` ago), their ended leases included; and unlabelled ones older than
 * `maxAgeS`. Keyed on the instance id, never on a PID or a host, so it is right inside a container
 * (every worker is PID 1) and on an engine shared by several hosts.
 */
export function orphanedContainers(list: readonly SweptContainer[], rules: SweepRules): string[] {
  const live = new Set<string>([rules.self]);
  for (const c of list) {
    const instance = c.Labels[INSTANCE_LABEL];
    if (!instance || c.Labels['gavel.role'] !== 'lease') continue;
    const starting = c.State === 'created' && rules.nowS - c.Created < rules.leaseStartS;
    if (c.State === 'running' || starting) live.add(instance);
  }
  return list
    .filter((c) => {
      const instance = c.Labels[INSTANCE_LABEL];
      return instance ? !live.has(instance) : rules.nowS - c.Created > rules.maxAgeS;
    })
    .map((c) => c.Id);
}

/** Removes gavel sandbox containers left behind by crashed sandbox instances (label gavel=sandbox). Returns their ids. */
export async function sweepOrphans(
  docker: Docker,
  opts: {
    self: string;
    maxAgeS?: number;
    deadlines?: EngineDeadlines;
    /**
     * Of the instances found without a live lease, those whose containers go now (the rest stay);
     * without it, all of them. Unlabelled containers past `maxAgeS` go either way.
     */
    confirm?: (withoutLease: ReadonlySet<string>) => ReadonlySet<string>;
  },
): Promise<string[]> {
  const d = opts.deadlines ?? DEFAULT_ENGINE_DEADLINES;
  try {
    const list = await engineCall('list containers', null, d.callMs, (abortSignal) =>
      docker.listContainers({
        all: true,
        filters: { label: [`${SANDBOX_LABEL}=${SANDBOX_LABEL_VALUE}`] },
        abortSignal,
      }),
    );
    const rows = list.map((c) => ({ Id: c.Id, Labels: c.Labels ?? {}, State: c.State, Created: c.Created }));
    const found = orphanedContainers(rows, {
      self: opts.self,
      nowS: Date.now() / 1000,
      leaseStartS: 60,
      maxAgeS: opts.maxAgeS ?? 600,
    });
    const instanceOf = new Map(rows.map((c) => [c.Id, c.Labels[INSTANCE_LABEL]]));
    const confirmed = opts.confirm?.(new Set(found.flatMap((id) => instanceOf.get(id) || [])));
    const orphans = confirmed
      ? found.filter((id) => {
          const instance = instanceOf.get(id);
          return !instance || confirmed.has(instance);
        })
      : found;
    for (const id of orphans) {
      const c = docker.getContainer(id);
      await engineCall('remove', null, d.removeMs, (abortSignal) => c.remove({ force: true, abortSignal })).catch(
        () => {},
      );
    }
    return orphans;
  } catch (error) {
    throw classifyDockerError(error);
  }
}
