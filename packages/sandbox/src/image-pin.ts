import { ConfigError, type SandboxRunConfig } from '@gavel/core';
import { BUILD_COMMAND } from './docker-errors.ts';

/**
 * Refuses a run whose manifest pins another sandbox image than the one this worker runs: its facts
 * would not come from the pinned image. A configuration problem (the worker stops, the job goes back),
 * never the sample's fault. A run that pins no digest (enqueued with GAVEL_SANDBOX=none) is not checked.
 * The same tag with another digest is another build of the same content (the offline build is not
 * byte-reproducible): rebuilt here, or built separately on another host.
 */
export function checkImagePin(pinned: SandboxRunConfig, image: string, digest: string): void {
  if (!pinned.image_digest || pinned.image_digest === digest) return;
  const pin = `${pinned.image ?? '(untagged)'} ${pinned.image_digest}`;
  if (pinned.image === image) {
    throw new ConfigError(
      `the run pins sandbox image ${pin}, but this worker's ${image} is another build (${digest}): ` +
        `the image was rebuilt or built on another host. If the engine's ${image} is now the pinned build, restart the worker ` +
        `(it resolves the tag at start); otherwise copy the pinned build here (docker save ${image} on the host that enqueued ` +
        `the run, docker load here), or enqueue the run again`,
    );
  }
  throw new ConfigError(
    `the run pins sandbox image ${pin}, but this worker runs ${image} ${digest}: ` +
      `set GAVEL_SANDBOX_IMAGE on the worker to the pinned image (build it with ${BUILD_COMMAND}), or enqueue the run again`,
  );
}
