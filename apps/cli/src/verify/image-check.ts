import type { RunManifest } from '@gavel/core';
import type { Mismatch, VerifyCheck } from '@gavel/report';

/** The one call the image check makes of the engine (dockerode's `listImages`). */
export interface ImageLister {
  listImages(options: { abortSignal: AbortSignal }): Promise<{ Id: string; RepoTags?: string[] | null }[]>;
}

/**
 * Does the sandbox image the run pinned (its image id, `sha256:…`) exist on this Docker engine?
 * A run without a sandbox image is skipped; an engine that does not answer within `deadlineMs` is
 * reported as not checked, never as a match.
 */
export async function checkSandboxImage(
  manifest: RunManifest,
  docker: ImageLister,
  deadlineMs: number,
): Promise<{ check: VerifyCheck; mismatches: Mismatch[] }> {
  const name = 'sandbox image';
  const { image, image_digest: digest } = manifest.stages.sandbox;
  if (!digest) {
    return { check: { name, status: 'skipped', detail: 'the run pinned no sandbox image' }, mismatches: [] };
  }
  let images: Awaited<ReturnType<ImageLister['listImages']>>;
  const deadline = AbortSignal.timeout(deadlineMs);
  try {
    images = await docker.listImages({ abortSignal: deadline });
  } catch (error) {
    const reason = deadline.aborted ? `no answer within ${deadlineMs} ms` : (error as Error).message;
    return {
      check: { name, status: 'unchecked', detail: `cannot ask the Docker engine whether ${digest} exists (${reason})` },
      mismatches: [],
    };
  }
  const found = images.find((i) => i.Id === digest);
  if (!found) {
    return {
      check: { name, status: 'mismatch', detail: `${image ?? digest} is not on this Docker engine` },
      mismatches: [
        {
          subject: name,
          sample_id: null,
          field: 'image_digest',
          recorded: digest,
          rederived: 'absent from this Docker engine',
        },
      ],
    };
  }
  const tags = found.RepoTags?.filter((t) => t !== '<none>:<none>') ?? [];
  return {
    check: {
      name,
      status: 'ok',
      detail: `${digest} exists on this engine${tags.length ? ` (${tags.join(', ')})` : ''}`,
    },
    mismatches: [],
  };
}
