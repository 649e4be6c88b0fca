import { contentImages, InputError, imageKey, imageRefsKey, legacyKeys, runImagesKey, type Sample } from '@gavel/core';
import type { RedisClient } from './redis.ts';

// KEYS[1] the image's bytes, KEYS[2] its refs (one slot: the image's tag). ARGV[1] the run id,
// ARGV[2] the bytes. The reference and the bytes are written in one step, so a release running at
// the same time either sees the new reference (and keeps the bytes) or ran first (and the bytes are
// written again here): an image being stored for a run is never left deleted.
const RETAIN = `#!lua
redis.call('SADD', KEYS[2], ARGV[1])
local stored = redis.call('SET', KEYS[1], ARGV[2], 'NX')
if stored then return 1 end
return 0`;

// KEYS as above, ARGV[1] the run id. Drops the run's reference; when none is left, deletes the bytes
// and the (empty) refs set in the same step. Returns 1 when the image was deleted.
const RELEASE = `#!lua
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
return redis.call('DEL', KEYS[1])`;

type ImageRedis = RedisClient & {
  gavelImageRetain(bytesKey: string, refsKey: string, runId: string, bytes: Buffer): Promise<number>;
  gavelImageRelease(bytesKey: string, refsKey: string, runId: string): Promise<number>;
};

function withImageScripts(redis: RedisClient): ImageRedis {
  const r = redis as ImageRedis;
  if (typeof r.gavelImageRelease !== 'function') {
    redis.defineCommand('gavelImageRetain', { numberOfKeys: 2, lua: RETAIN });
    redis.defineCommand('gavelImageRelease', { numberOfKeys: 2, lua: RELEASE });
  }
  return r;
}

/**
 * Images, stored once each under their content hash (`<prefix>:{image:<sha256>}:bytes`), shared by
 * every run and sample that shows them: 10k samples over 1k distinct images store 1k values. Each
 * image counts the runs that show it (`…:refs`, a set of run ids; each run also lists its images
 * under its own tag), and removing a run releases its references: the image goes with the last run
 * that shows it. Images stored before reference counting (`<prefix>:image:sha256:<hex>`) are still
 * read, and never deleted.
 */
export class ImageStore {
  private readonly redis: ImageRedis;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.redis = withImageScripts(redis);
  }

  /** Where an image's bytes live. */
  imageKey(sha256: string): string {
    return imageKey(this.prefix, sha256);
  }

  /**
   * Stores the images a run shows (bytes by sha256), each once, and records that the run shows them:
   * first in the run's own list (so its removal finds them even if this is cut short), then per image
   * its reference and bytes in one step. Returns how many were newly stored. Idempotent.
   */
  async retainForRun(runId: string, images: ReadonlyMap<string, Buffer>): Promise<number> {
    if (images.size === 0) return 0;
    await this.redis.sadd(runImagesKey(this.prefix, runId), ...images.keys());
    let stored = 0;
    for (const [sha256, bytes] of images) {
      stored += await this.redis.gavelImageRetain(
        imageKey(this.prefix, sha256),
        imageRefsKey(this.prefix, sha256),
        runId,
        bytes,
      );
    }
    return stored;
  }

  /**
   * Releases every image a run shows (before the run's own keys go): each loses the run's reference,
   * and one that no other run shows is deleted. Returns how many were deleted. Safe to run again.
   */
  async releaseRun(runId: string): Promise<number> {
    const listed = runImagesKey(this.prefix, runId);
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, hashes] = await this.redis.sscan(listed, cursor, 'COUNT', 500);
      cursor = next;
      for (const sha256 of hashes)
        deleted += await this.redis.gavelImageRelease(
          imageKey(this.prefix, sha256),
          imageRefsKey(this.prefix, sha256),
          runId,
        );
    } while (cursor !== '0');
    return deleted;
  }

  /** The ids of the runs that show an image. */
  async references(sha256: string): Promise<string[]> {
    return this.redis.smembers(imageRefsKey(this.prefix, sha256));
  }

  async get(sha256: string): Promise<Buffer | undefined> {
    const bytes =
      (await this.redis.getBuffer(imageKey(this.prefix, sha256))) ??
      (await this.redis.getBuffer(legacyKeys.image(this.prefix, sha256)));
    return bytes ?? undefined;
  }
}

/** The bytes of every image a sample shows, by sha256 (a missing one is bad input: enqueue stores them first). */
export async function sampleImageBytes(images: ImageStore, sample: Sample): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (sample.kind !== 'pair') return out;
  for (const content of [sample.prompt, sample.outputs.a, sample.outputs.b]) {
    for (const part of contentImages(content)) {
      if (!part.sha256 || out.has(part.sha256)) continue;
      const bytes = await images.get(part.sha256);
      if (!bytes) throw new InputError(`sample ${sample.id}: image ${part.sha256} is not in the image store`);
      out.set(part.sha256, bytes);
    }
  }
  return out;
}
