import { randomUUID } from 'node:crypto';
import type { BatchStore } from './batch-store.ts';

/** A lock held for as long as the work under it takes, renewed while held. */
export interface HeldLock {
  /** Aborted once the lock is lost (a renewal found another holder or no key): stop and commit nothing. */
  readonly signal: AbortSignal;
  /** True while Redis still holds this lock for this holder. */
  stillHeld(): Promise<boolean>;
  /** Stops renewing and deletes the lock if still ours. Safe to call twice. */
  release(): Promise<void>;
}

/**
 * Takes `key` for `ttlMs` (a dead holder loses it after that) and renews it every third of the
 * TTL while the holder lives, so work longer than the TTL (a priming call and a 200 MB upload)
 * keeps it. Undefined when another holder has it.
 */
export async function holdLock(arb: BatchStore, key: string, ttlMs: number): Promise<HeldLock | undefined> {
  const token = randomUUID();
  if ((await arb.redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
  const lost = new AbortController();
  const renew = async (): Promise<boolean> => {
    if (lost.signal.aborted) return false;
    const ok = (await arb.redis.gavelBatchRenew(key, token, ttlMs)) === 1;
    if (!ok) lost.abort(new Error(`lock ${key} lost`));
    return ok;
  };
  const timer = setInterval(
    () => {
      renew().catch(() => undefined);
    },
    Math.max(50, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  let released: Promise<void> | undefined;
  return {
    signal: lost.signal,
    stillHeld: renew,
    release() {
      released ??= (async () => {
        clearInterval(timer);
        await arb.redis.gavelBatchRelease(key, token);
      })();
      return released;
    },
  };
}
