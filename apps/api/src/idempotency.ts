import { createHash } from 'node:crypto';
import { apiIdempotencyKey } from '@gavel/core';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';

/** What a key holds: a submission still being enqueued, or the answer it got. */
export const IdempotencyRecord = z.discriminatedUnion('state', [
  z.object({ state: z.literal('pending'), owner: z.string() }),
  z.object({ state: z.literal('done'), payload_sha256: z.string(), response: z.record(z.string(), z.unknown()) }),
]);
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;

/** Deletes KEYS[1] only while it still holds ARGV[1] (this owner's pending record). */
const RELEASE_IF_OWNED =
  "#!lua\nif redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/** Renews KEYS[1] for ARGV[2] ms only while it still holds ARGV[1] (this owner's pending record). */
const RENEW_IF_OWNED =
  "#!lua\nif redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/** What a claim found. */
export type Claim =
  | { kind: 'claimed' }
  | { kind: 'in-progress' }
  | { kind: 'replay'; payloadSha256: string; response: Record<string, unknown> };

/**
 * Idempotency keys of `POST /v1/runs` in Redis. A submission claims its key before its body is
 * read (`pending`, expiring after `pendingMs` should the process die, renewed while the submission
 * is alive, so an upload longer than `pendingMs` keeps its key), and on success stores the
 * payload's hash and its answer for `ttlS` seconds; a failed submission releases the key.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly ttlS: number,
    private readonly pendingMs = 10 * 60_000,
  ) {}

  private key(idempotencyKey: string): string {
    return apiIdempotencyKey(this.prefix, createHash('sha256').update(idempotencyKey).digest('hex'));
  }

  /**
   * Claims the key for `owner`. Should the SET get no answer (a deadline passed while Redis stalled),
   * a release goes out behind it on the same connection, so a SET that Redis applies late is taken
   * back and no dead claim blocks the key.
   */
  async claim(idempotencyKey: string, owner: string): Promise<Claim> {
    const key = this.key(idempotencyKey);
    const pending: IdempotencyRecord = { state: 'pending', owner };
    let set: string | null;
    try {
      set = await this.redis.set(key, JSON.stringify(pending), 'PX', this.pendingMs, 'NX');
    } catch (error) {
      void this.release(idempotencyKey, owner).catch(() => undefined);
      throw error;
    }
    if (set === 'OK') return { kind: 'claimed' };
    const raw = await this.redis.get(key);
    if (raw === null) return this.claim(idempotencyKey, owner);
    const record = IdempotencyRecord.parse(JSON.parse(raw));
    if (record.state === 'pending') return { kind: 'in-progress' };
    return { kind: 'replay', payloadSha256: record.payload_sha256, response: record.response };
  }

  async complete(idempotencyKey: string, payloadSha256: string, response: Record<string, unknown>): Promise<void> {
    const record: IdempotencyRecord = { state: 'done', payload_sha256: payloadSha256, response };
    await this.redis.set(this.key(idempotencyKey), JSON.stringify(record), 'EX', this.ttlS);
  }

  /**
   * Keeps this owner's pending claim alive, renewing it every third of its lifetime, until the
   * returned function is called (when the submission ends, however it ends).
   */
  hold(idempotencyKey: string, owner: string): () => void {
    const key = this.key(idempotencyKey);
    const pending = JSON.stringify({ state: 'pending', owner } satisfies IdempotencyRecord);
    const timer = setInterval(
      () => {
        this.redis.eval(RENEW_IF_OWNED, 1, key, pending, this.pendingMs).catch(() => undefined);
      },
      Math.max(100, Math.floor(this.pendingMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Releases a key this owner still holds as pending (a failed or refused submission), atomically. */
  async release(idempotencyKey: string, owner: string): Promise<void> {
    const pending = JSON.stringify({ state: 'pending', owner } satisfies IdempotencyRecord);
    await this.redis.eval(RELEASE_IF_OWNED, 1, this.key(idempotencyKey), pending);
  }
}
