import { SandboxRunConfig } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { applyWorkerCaps } from './run-limits.ts';

const max = { cpus: 2, memory_mib: 512, pids: 128, tmpfs_mib: 64, wall_s: 30, output_bytes: 1_048_576 };

describe('applyWorkerCaps', () => {
  it("runs at the manifest's limits when they are within the worker's maxima", () => {
    const asked = SandboxRunConfig.parse({ backend: 'docker', cpus: 1, memory_mib: 256, wall_s: 10 });
    expect(applyWorkerCaps(asked, max)).toEqual({
      limits: { cpus: 1, memory_mib: 256, pids: 128, tmpfs_mib: 64, wall_s: 10, output_bytes: 1_048_576 },
      capped: [],
    });
  });

  it("caps each limit above the worker's maximum and names it with what was asked", () => {
    const asked = SandboxRunConfig.parse({ backend: 'docker', cpus: 8, memory_mib: 4096, pids: 100, wall_s: 600 });
    expect(applyWorkerCaps(asked, max)).toEqual({
      limits: { cpus: 2, memory_mib: 512, pids: 100, tmpfs_mib: 64, wall_s: 30, output_bytes: 1_048_576 },
      capped: [
        { field: 'cpus', asked: 8, applied: 2 },
        { field: 'memory_mib', asked: 4096, applied: 512 },
        { field: 'wall_s', asked: 600, applied: 30 },
      ],
    });
  });
});
