import { createServer, type Socket } from 'node:net';
import { GAVEL_VERSION, RunManifest } from '@gavel/core';
import { dockerClient } from '@gavel/sandbox';
import { describe, expect, it } from 'vitest';
import { checkSandboxImage } from './image-check.ts';

function manifest(digest: string | null): RunManifest {
  return RunManifest.parse({
    run_id: 'r',
    created_at: '2026-12-01T00:00:00Z',
    gavel_version: GAVEL_VERSION,
    dataset: { format: 'jsonl', files: [], sha256: '0'.repeat(64), samples: 0, skipped_invalid: 0 },
    rubrics: {},
    stages: { sandbox: { backend: 'docker', image: 'gavel-sandbox:x', image_digest: digest }, judge: {}, arbiter: {} },
  });
}

describe('the sandbox image check', () => {
  it('skips a run that pinned no image', async () => {
    const result = await checkSandboxImage(manifest(null), dockerClient('tcp://127.0.0.1:9'), 1000);
    expect(result.check.status).toBe('skipped');
  });

  it('reports an engine that does not answer within the deadline as not checked, never as a match', async () => {
    // A TCP listener that accepts and never answers: the engine hangs.
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const result = await checkSandboxImage(
        manifest(`sha256:${'a'.repeat(64)}`),
        dockerClient(`tcp://127.0.0.1:${port}`),
        300,
      );
      expect(result.check.status).toBe('unchecked');
      expect(result.check.detail).toContain('no answer within 300 ms');
      expect(result.mismatches).toEqual([]);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
