// CPU time by component during one sandbox run, so a figure on a loaded machine still says where
// each sample's time goes and what two idle cores could do: this process (the stage), the analysis
// container, the execution containers, and the engine's daemons (dockerd, containerd; shared with
// anything else using the engine). Containers are read from the cgroup v1 cpuacct hierarchy of the
// cgroupfs driver (/sys/fs/cgroup/cpuacct/docker/<id>), sampled every 50 ms while they live (an
// execution container's last <50 ms are missed); on another layout the container figures are null.
// Not counted: containerd-shim and runc processes (short-lived, outside the containers' cgroups).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dockerClient } from '../../packages/sandbox/src/docker-client.ts';

const CGROUP = '/sys/fs/cgroup/cpuacct/docker';
const TICK_MS = 10; // USER_HZ 100

function daemonPids(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      if (comm === 'dockerd' || comm === 'containerd') pids.push(Number(d));
    } catch {}
  }
  return pids;
}

function procCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

export interface CpuAccount {
  stop(): Promise<{
    stage_ms: number;
    analysis_container_ms: number | null;
    exec_containers_ms: number | null;
    exec_containers: number;
    engine_daemons_ms: number;
  }>;
}

/** Starts accounting for the sandbox instance `instance` (its containers carry label gavel.instance). */
export async function startCpuAccount(instance: string): Promise<CpuAccount> {
  const docker = dockerClient(null);
  const cgroups = existsSync(CGROUP);
  const roles = new Map<string, 'exec' | 'analysis'>();
  const usage = new Map<string, number>();
  const abort = new AbortController();
  const events = await docker.getEvents({
    filters: { type: ['container'], event: ['start'], label: [`gavel.instance=${instance}`] },
    abortSignal: abort.signal,
  } as Parameters<typeof docker.getEvents>[0]);
  let buffered = '';
  events.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const e = JSON.parse(line) as { Actor?: { ID?: string; Attributes?: Record<string, string> } };
        const role = e.Actor?.Attributes?.['gavel.role'];
        if (e.Actor?.ID && (role === 'exec' || role === 'analysis')) roles.set(e.Actor.ID, role);
      } catch {}
    }
  });
  events.on('error', () => {});
  // A container whose cgroup was read and is now gone has ended: it is not read again (reading every
  // container ever seen, 20 times a second, cost the stage's process more CPU than the stage).
  const ended = new Set<string>();
  const sample = () => {
    if (!cgroups) return;
    for (const id of roles.keys()) {
      if (ended.has(id)) continue;
      try {
        const ns = Number(readFileSync(`${CGROUP}/${id}/cpuacct.usage`, 'utf8'));
        usage.set(id, Math.max(usage.get(id) ?? 0, ns));
      } catch {
        if (usage.has(id)) ended.add(id);
      }
    }
  };
  const timer = setInterval(sample, 50);
  const pids = daemonPids();
  const daemons0 = pids.reduce((a, p) => a + procCpuMs(p), 0);
  const cpu0 = process.cpuUsage();
  return {
    async stop() {
      sample();
      clearInterval(timer);
      abort.abort();
      const cpu = process.cpuUsage(cpu0);
      const sum = (role: 'exec' | 'analysis') =>
        [...roles].filter(([, r]) => r === role).reduce((a, [id]) => a + (usage.get(id) ?? 0) / 1e6, 0);
      return {
        stage_ms: (cpu.user + cpu.system) / 1000,
        analysis_container_ms: cgroups ? sum('analysis') : null,
        exec_containers_ms: cgroups ? sum('exec') : null,
        exec_containers: [...roles.values()].filter((r) => r === 'exec').length,
        engine_daemons_ms: pids.reduce((a, p) => a + procCpuMs(p), 0) - daemons0,
      };
    },
  };
}
