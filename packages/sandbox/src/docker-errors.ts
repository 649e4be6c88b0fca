import { ConfigError, TransientError } from '@gavel/core';

const ENGINE_DOWN = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'EACCES',
]);

export const BUILD_COMMAND = 'bash infra/bootstrap-docker (or: bash sandbox/build-offline)';

/**
 * Maps a Docker engine error to gavel's typed errors: an unreachable or failing engine is transient
 * (the sample is retried, never failed for an outage); a missing image is a configuration error
 * naming the build command. Anything else is returned unchanged.
 */
export function classifyDockerError(err: unknown, image?: string): unknown {
  const e = err as { code?: string; statusCode?: number; message?: string; json?: { message?: string } };
  const message = e?.json?.message ?? e?.message ?? String(err);
  if (e?.code && ENGINE_DOWN.has(e.code)) {
    return new TransientError(`Docker engine unreachable (${e.code}): ${message}`, { cause: err, retryAfterMs: 5000 });
  }
  if (e?.statusCode === 404 && /no such image|not found/i.test(message) && image) {
    return new ConfigError(`sandbox image ${image} is missing: build it with ${BUILD_COMMAND}`, { cause: err });
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 500) {
    return new TransientError(`Docker engine error ${e.statusCode}: ${message}`, { cause: err, retryAfterMs: 2000 });
  }
  return err;
}
