import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { SANDBOX_LABEL, SANDBOX_LABEL_VALUE } from './container-spec.ts';
import { classifyDockerError } from './docker-errors.ts';

/** Whether a labelled sandbox container is an orphan: its owner process on this host is gone, or it is old. */
export function isOrphan(
  labels: Record<string, string>,
  createdS: number,
  nowS: number,
  alive: (pid: number) => boolean,
  host: string,
  maxAgeS: number,
): boolean {
  const owner = labels['gavel.owner'];
  const ownerHost = labels['gavel.host'];
  if (owner && ownerHost === host) return !alive(Number(owner));
  return nowS - createdS > maxAgeS;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes gavel sandbox containers left behind by a crashed worker (label gavel=sandbox). Returns their ids. */
export async function sweepOrphans(docker: Docker, maxAgeS = 600): Promise<string[]> {
  try {
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`${SANDBOX_LABEL}=${SANDBOX_LABEL_VALUE}`] },
    });
    const now = Date.now() / 1000;
    const host = hostname();
    const removed: string[] = [];
    for (const c of list) {
      if (!isOrphan(c.Labels ?? {}, c.Created, now, pidAlive, host, maxAgeS)) continue;
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
      removed.push(c.Id);
    }
    return removed;
  } catch (error) {
    throw classifyDockerError(error);
  }
}
