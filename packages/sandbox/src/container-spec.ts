import type { ContainerCreateOptions } from 'dockerode';

export const SANDBOX_LABEL = 'gavel';
export const SANDBOX_LABEL_VALUE = 'sandbox';
export const SANDBOX_USER = '65534:65534';

export interface ContainerLimits {
  cpus: number;
  memory_mib: number;
  pids: number;
  tmpfs_mib: number;
}

/**
 * The sandbox instance that owns a container: `instance` (a random UUID per sandbox, made at start)
 * is what the orphan sweep keys on; `pid` and `host` are for people reading `docker ps`.
 */
export interface ContainerOwner {
  instance: string;
  pid: number;
  host: string;
}

/** Label naming the owning sandbox instance ({@link ContainerOwner.instance}). */
export const INSTANCE_LABEL = 'gavel.instance';

export interface ContainerSpecInput {
  image: string;
  name: string;
  role: 'exec' | 'analysis' | 'lease';
  limits: ContainerLimits;
  /** Entrypoint override (the analysis server); the image's runner when absent. */
  entrypoint?: string[];
  /** The sandbox instance that owns it (the orphan sweep removes containers whose instance is gone). */
  owner?: ContainerOwner;
}

const MIB = 1024 * 1024;

/** Inodes of each tmpfs (files and directories a container can create there). */
export const TMPFS_INODES = 16384;

/**
 * The one place a sandbox container's settings are decided. Hardened for hostile code: no network,
 * read-only root, size-limited noexec tmpfs, non-root user, no capabilities, no-new-privileges,
 * the default seccomp profile (never `seccomp=unconfined`), memory = memory+swap, a PIDs limit,
 * a CPU quota, nofile/fsize ulimits. The workspace arrives on stdin (a tar stream), so no host path
 * is ever mounted and a remote Docker host works.
 */
export function containerSpec(input: ContainerSpecInput): ContainerCreateOptions {
  const { limits } = input;
  const memory = limits.memory_mib * MIB;
  const tmpfs = `rw,noexec,nosuid,nodev,size=${limits.tmpfs_mib}m,nr_inodes=${TMPFS_INODES},mode=1777`;
  return {
    name: input.name,
    Image: input.image,
    ...(input.entrypoint ? { Entrypoint: input.entrypoint } : {}),
    User: SANDBOX_USER,
    WorkingDir: '/scratch',
    Env: ['PYTHONDONTWRITEBYTECODE=1', 'PYTHONUNBUFFERED=1', 'HOME=/tmp', 'LANG=C.UTF-8'],
    Labels: {
      [SANDBOX_LABEL]: SANDBOX_LABEL_VALUE,
      'gavel.role': input.role,
      ...(input.owner
        ? {
            [INSTANCE_LABEL]: input.owner.instance,
            'gavel.owner': String(input.owner.pid),
            'gavel.host': input.owner.host,
          }
        : {}),
    },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: input.role === 'exec',
    Tty: false,
    NetworkDisabled: true,
    StopTimeout: 1,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': tmpfs, '/scratch': tmpfs },
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Memory: memory,
      MemorySwap: memory,
      OomKillDisable: false,
      PidsLimit: limits.pids,
      NanoCpus: Math.round(limits.cpus * 1e9),
      Ulimits: [
        { Name: 'nofile', Soft: 256, Hard: 256 },
        { Name: 'fsize', Soft: limits.tmpfs_mib * MIB, Hard: limits.tmpfs_mib * MIB },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      AutoRemove: false,
      IpcMode: 'private',
      PidMode: '',
      Init: false,
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
