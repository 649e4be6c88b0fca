import { describe, expect, it } from 'vitest';
import { containerSpec } from './container-spec.ts';

const spec = containerSpec({
  image: 'gavel-sandbox:abc',
  name: 'gavel-exec-1',
  role: 'exec',
  limits: { cpus: 1.5, memory_mib: 512, pids: 128, tmpfs_mib: 64 },
  owner: { instance: 'i-1', pid: 42, host: 'h' },
});
const host = spec.HostConfig ?? {};
const MIB = 1024 * 1024;

describe('containerSpec', () => {
  it('image, name, non-root user, scratch working dir, runner entrypoint from the image', () => {
    expect(spec.Image).toBe('gavel-sandbox:abc');
    expect(spec.name).toBe('gavel-exec-1');
    expect(spec.User).toBe('65534:65534');
    expect(spec.WorkingDir).toBe('/scratch');
    expect(spec.Entrypoint).toBeUndefined();
    expect(
      containerSpec({
        image: 'i',
        name: 'n',
        role: 'analysis',
        limits: { cpus: 1, memory_mib: 64, pids: 8, tmpfs_mib: 8 },
        entrypoint: ['node', 's.mjs'],
      }).Entrypoint,
    ).toEqual(['node', 's.mjs']);
  });
  it('labels: gavel=sandbox, role and the owning instance (for the orphan sweep), its pid and host', () => {
    expect(spec.Labels).toEqual({
      gavel: 'sandbox',
      'gavel.role': 'exec',
      'gavel.instance': 'i-1',
      'gavel.owner': '42',
      'gavel.host': 'h',
    });
  });
  it('environment: no secrets, only what python needs', () => {
    expect(spec.Env).toEqual(['PYTHONDONTWRITEBYTECODE=1', 'PYTHONUNBUFFERED=1', 'HOME=/tmp', 'LANG=C.UTF-8']);
  });
  it('workspace on stdin: attached, once for exec, no TTY', () => {
    expect(spec).toMatchObject({
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
    });
    expect(
      containerSpec({
        image: 'i',
        name: 'n',
        role: 'analysis',
        limits: { cpus: 1, memory_mib: 64, pids: 8, tmpfs_mib: 8 },
      }).StdinOnce,
    ).toBe(false);
  });
  it('no network', () => {
    expect(spec.NetworkDisabled).toBe(true);
    expect(host.NetworkMode).toBe('none');
  });
  it('read-only root, size-limited noexec tmpfs for /tmp and /scratch', () => {
    expect(host.ReadonlyRootfs).toBe(true);
    const t = 'rw,noexec,nosuid,nodev,size=64m,nr_inodes=16384,mode=1777';
    expect(host.Tmpfs).toEqual({ '/tmp': t, '/scratch': t });
  });
  it('no capabilities, no-new-privileges, default seccomp (never unconfined), not privileged', () => {
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual([]);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.SecurityOpt?.some((o: string) => o.includes('seccomp'))).toBe(false);
    expect(host.Privileged).toBe(false);
  });
  it('memory = memory + swap, OOM killer on', () => {
    expect(host.Memory).toBe(512 * MIB);
    expect(host.MemorySwap).toBe(512 * MIB);
    expect(host.OomKillDisable).toBe(false);
  });
  it('PIDs limit and CPU quota', () => {
    expect(host.PidsLimit).toBe(128);
    expect(host.NanoCpus).toBe(1_500_000_000);
  });
  it('ulimits: nofile, fsize = tmpfs size, no core dumps', () => {
    expect(host.Ulimits).toEqual([
      { Name: 'nofile', Soft: 256, Hard: 256 },
      { Name: 'fsize', Soft: 64 * MIB, Hard: 64 * MIB },
      { Name: 'core', Soft: 0, Hard: 0 },
    ]);
  });
  it('removed by the worker (not AutoRemove, so OOM state can be read), private IPC, no logs kept by the engine', () => {
    expect(host.AutoRemove).toBe(false);
    expect(host.IpcMode).toBe('private');
    expect(host.PidMode).toBe('');
    expect(host.Init).toBe(false);
    expect(host.LogConfig).toEqual({ Type: 'none', Config: {} });
    expect(spec.StopTimeout).toBe(1);
  });
});
