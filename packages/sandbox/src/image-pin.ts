import { ConfigError, type SandboxRunConfig } from '@gavel/core';
import { BUILD_COMMAND } from './docker-errors.ts';

/**
 * Refuses a run whose manifest pins another sandbox image than the one this worker runs: its facts
 * would not come from the pinned image. A configuration problem (the worker stops, the job goes back),
 * never the sample's fault. A run that pins no digest (enqueued with GAVEL_SANDBOX=none) is not checked.
 */
export function checkImagePin(pinned: SandboxRunConfig, image: string, digest: string): void {
  if (!pinned.image_digest || pinned.image_digest === digest) return;
  throw new ConfigError(
    `the run pins sandbox image ${pinned.image ?? '(untagged)'} ${pinned.image_digest}, but this worker runs ${image} ${digest}: ` +
      `set GAVEL_SANDBOX_IMAGE on the worker to the pinned image (build it with ${BUILD_COMMAND}), or enqueue the run again`,
  );
}
