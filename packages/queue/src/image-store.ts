import { contentImages, InputError, imageKey, type Sample } from '@gavel/core';
import type { RedisClient } from './redis.ts';

/**
 * Images, stored once each under their content hash (`<prefix>:image:sha256:<hex>`), shared by
 * every run and sample that shows them: 10k samples over 1k distinct images store 1k values.
 * They are not part of a run's keys, so removing a run leaves them (another run may show them).
 */
export class ImageStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Where an image's bytes live. */
  imageKey(sha256: string): string {
    return imageKey(this.prefix, sha256);
  }

  /** Stores an image's bytes once (the same hash is the same bytes); returns true when newly stored. */
  async put(sha256: string, bytes: Buffer): Promise<boolean> {
    return (await this.redis.set(this.imageKey(sha256), bytes, 'NX')) === 'OK';
  }

  async get(sha256: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(this.imageKey(sha256))) ?? undefined;
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
