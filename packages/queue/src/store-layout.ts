import { ConfigError, legacyKeys, runsListKey, STORE_LAYOUT, storeLayoutKey } from '@gavel/core';
import type { RedisClient } from './redis.ts';

/** What to do with run-store data of the layout before per-run hash tags. */
export function legacyLayoutMessage(prefix: string): string {
  return (
    `the run store holds runs in the old key layout (${prefix}:run:<id>:…, before per-run hash tags); ` +
    `stop every gavel worker, then run \`gavel migrate\` once: it moves them to ${prefix}:{run:<id>}:… and re-queues their unfinished samples`
  );
}

/**
 * The run store's layout version ({@link STORE_LAYOUT}, in `<prefix>:store-layout`). The first run
 * created in this layout writes it (`gavel migrate` writes it once it has moved the old keys);
 * a run list with runs but no version was written by a gavel before per-run hash tags, and every
 * process refuses it with a {@link ConfigError} saying how to migrate, instead of reporting its
 * runs missing or writing new runs beside them.
 */
export class StoreLayout {
  private claimed = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Throws a {@link ConfigError} unless the store is empty or in the current layout. */
  async assertCurrent(): Promise<void> {
    const version = await this.redis.get(storeLayoutKey(this.prefix));
    if (version === STORE_LAYOUT) return;
    if (version !== null) {
      throw new ConfigError(
        `the run store's key layout is version ${version}, this gavel reads version ${STORE_LAYOUT}; run the gavel version that wrote it`,
      );
    }
    if ((await this.redis.zcard(runsListKey(this.prefix))) > 0) throw new ConfigError(legacyLayoutMessage(this.prefix));
  }

  /** Before the first run is written: checks the layout, then records it (once per process). */
  async claim(): Promise<void> {
    if (this.claimed) return;
    await this.assertCurrent();
    await this.redis.set(storeLayoutKey(this.prefix), STORE_LAYOUT, 'NX');
    this.claimed = true;
  }

  /** A run found only under its old key is refused with how to migrate (a {@link ConfigError}). */
  async refuseLegacyRun(runId: string): Promise<void> {
    if ((await this.redis.exists(legacyKeys.manifest(this.prefix, runId))) === 1) {
      throw new ConfigError(`run ${runId}: ${legacyLayoutMessage(this.prefix)}`);
    }
  }
}
