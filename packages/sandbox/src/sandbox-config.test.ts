import { ConfigError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { loadSandboxConfig } from './sandbox-config.ts';

describe('loadSandboxConfig', () => {
  it('defaults: none (opt in to docker), 1 CPU, 512 MiB, 128 PIDs, 64 MiB tmpfs, 30 s, 1 MiB output', () => {
    const c = loadSandboxConfig({ GAVEL_SANDBOX_IMAGE: 'gavel-sandbox:x' });
    expect(c).toMatchObject({ mode: 'none', image: 'gavel-sandbox:x', dockerHost: null });
    expect(c.limits).toEqual({ cpus: 1, memory_mib: 512, pids: 128, tmpfs_mib: 64, wall_s: 30, output_bytes: 1048576 });
    expect(c.concurrency).toBeGreaterThan(0);
  });
  it('reads every variable', () => {
    const c = loadSandboxConfig({
      GAVEL_SANDBOX: 'none',
      GAVEL_SANDBOX_CPUS: '0.5',
      GAVEL_SANDBOX_MEMORY_MIB: '256',
      GAVEL_SANDBOX_PIDS: '64',
      GAVEL_SANDBOX_TMPFS_MIB: '16',
      GAVEL_SANDBOX_WALL_S: '5',
      GAVEL_SANDBOX_OUTPUT_BYTES: '4096',
      GAVEL_DOCKER_HOST: 'tcp://10.0.0.5:2375',
      GAVEL_SANDBOX_CONCURRENCY: '3',
      GAVEL_DOCKER_TIMEOUT_S: '2.5',
    });
    expect(c).toMatchObject({ mode: 'none', dockerHost: 'tcp://10.0.0.5:2375', concurrency: 3, dockerTimeoutMs: 2500 });
    expect(c.limits).toEqual({ cpus: 0.5, memory_mib: 256, pids: 64, tmpfs_mib: 16, wall_s: 5, output_bytes: 4096 });
  });
  it('a bad value is a ConfigError naming the variable', () => {
    expect(() => loadSandboxConfig({ GAVEL_SANDBOX: 'podman' })).toThrow(ConfigError);
    expect(() => loadSandboxConfig({ GAVEL_SANDBOX_MEMORY_MIB: 'lots' })).toThrow(/GAVEL_SANDBOX_MEMORY_MIB/);
  });
});
