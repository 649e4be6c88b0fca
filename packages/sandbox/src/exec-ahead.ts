import type { Logger } from '@gavel/core';
import type Docker from 'dockerode';
import type { EngineDeadlines } from './engine-call.ts';
import { type PreparedContainer, prepareExecContainer, removeExecContainer } from './exec-container.ts';

/**
 * Execution containers created ahead: while one sample runs, the container for a next one is already
 * created and attached (never started, so nothing of any sample is in it), and a sample only waits for
 * `start`. Each container is still used by exactly one sample and removed after it; what is made
 * ahead carries the same spec (limits, hardening, labels) as one made on demand, so the orphan sweep
 * knows it. Containers are made ahead for one spec at a time (a run's limits): a sample asking for
 * other limits drops those made for the old ones.
 */
export class ExecAhead {
  private key: string | undefined;
  private ready: Array<Promise<PreparedContainer | undefined>> = [];
  private closed = false;

  constructor(
    private readonly docker: Docker,
    private readonly options: {
      /** Containers kept made ahead (the sandbox's execution concurrency). */
      ahead: number;
      outputBytes: number;
      deadlines: EngineDeadlines;
      logger: Logger;
    },
  ) {}

  /**
   * A container for `key` (the spec's limits): one made ahead when there is one, else made now; then
   * another is made ahead for the next sample. `spec()` gives a new spec (a new name) each call.
   */
  async take(key: string, spec: () => Docker.ContainerCreateOptions, signal: AbortSignal): Promise<PreparedContainer> {
    if (this.closed) throw new Error('the sandbox is closed');
    if (key !== this.key) this.drop(key);
    const early = this.ready.shift();
    this.refill(spec);
    let prepared = early ? await early : undefined;
    // One whose attach stream is gone (the engine restarted while it waited) can never get its workspace.
    if (prepared?.detached()) {
      await this.discard(Promise.resolve(prepared));
      prepared = undefined;
    }
    // Made ahead, or (when none was ready, or making it failed, or it went stale) made now, for this sample.
    return (
      prepared ??
      prepareExecContainer(this.docker, spec(), {
        outputBytes: this.options.outputBytes,
        signal,
        deadlines: this.options.deadlines,
      })
    );
  }

  /** How many containers are made (or being made) ahead. */
  get size(): number {
    return this.ready.length;
  }

  /** Removes every container made ahead; later takes fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.ready.splice(0).map((p) => this.discard(p)));
  }

  private refill(spec: () => Docker.ContainerCreateOptions): void {
    while (!this.closed && this.ready.length < this.options.ahead) {
      // Made without a job's signal (it belongs to no sample yet), on the engine's own deadlines.
      const made = prepareExecContainer(this.docker, spec(), {
        outputBytes: this.options.outputBytes,
        signal: null,
        deadlines: this.options.deadlines,
      }).catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'could not create an execution container ahead; creating on demand');
        return undefined;
      });
      this.ready.push(made);
    }
  }

  private drop(key: string): void {
    this.key = key;
    for (const p of this.ready.splice(0)) void this.discard(p);
  }

  private async discard(made: Promise<PreparedContainer | undefined>): Promise<void> {
    const prepared = await made;
    if (!prepared) return;
    // Destroyed, not just ended: a half-closed attach connection of a never-started container stays
    // open after its removal and kept a process that had closed its sandbox from exiting.
    (prepared.stream as NodeJS.ReadWriteStream & { destroy(): void }).destroy();
    await removeExecContainer(prepared.container, this.options.deadlines);
  }
}
