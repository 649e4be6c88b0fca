import { TransientError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { dockerClient } from '../../packages/sandbox/src/docker-client.ts';
import {
  prepareExecContainer,
  removeExecContainer,
  runPreparedContainer,
} from '../../packages/sandbox/src/exec-container.ts';
import { sandboxImage } from './sandbox-fixtures.ts';

// A container made ahead whose attach stream is gone before start (what a Docker engine restart leaves:
// the created container survives, the hijacked connection does not) must never be started: the runner
// would read an empty stdin and that would be graded. The chaos suite's docker-restart scenario graded
// a canonical HumanEval solution as failing this way.

describe('an execution container whose attach stream is gone before start', () => {
  it('is refused as transient, never started', async () => {
    const docker = dockerClient(null);
    const prepared = await prepareExecContainer(
      docker,
      {
        Image: sandboxImage(),
        Cmd: ['true'],
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        Labels: { gavel: 'sandbox', 'gavel.role': 'exec', 'gavel.owner': String(process.pid) },
        HostConfig: { NetworkMode: 'none' },
      },
      { outputBytes: 1024, signal: null },
    );
    try {
      expect(prepared.detached()).toBe(false);
      (prepared.stream as unknown as { destroy(): void }).destroy();
      await prepared.ended;
      expect(prepared.detached()).toBe(true);
      const run = runPreparedContainer(prepared, Buffer.alloc(0), {
        wallMs: 5000,
        signal: AbortSignal.timeout(30_000),
      });
      await expect(run).rejects.toBeInstanceOf(TransientError);
      await expect(run).rejects.toThrow(/lost its attach stream before start/);
      const info = await prepared.container.inspect();
      expect(info.State.Status).toBe('created');
    } finally {
      await removeExecContainer(prepared.container);
    }
  });
});
