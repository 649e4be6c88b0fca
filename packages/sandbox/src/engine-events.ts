import type { Logger } from '@gavel/core';
import type Docker from 'dockerode';
import { INSTANCE_LABEL } from './container-spec.ts';

/** How an execution container ended, from the engine's own events. */
export type ContainerEnd =
  /** It exited by itself (or by the kernel's OOM killer): its exit status is the sample's. */
  | { by: 'itself' }
  /** The engine was told to signal it (a `docker stop`/`kill`, or a daemon shutting down) before it exited. */
  | { by: 'engine'; signal: string }
  /** Its `die` event did not arrive in time: how it ended is unknown. */
  | { by: 'unknown' };

interface Seen {
  kills: string[];
  died: boolean;
  waiters: Array<() => void>;
}

/** Containers remembered at most (events of containers nobody asks about are dropped oldest first). */
const MAX_SEEN = 4096;

/**
 * One events stream per sandbox (`GET /events`, this instance's execution containers, `kill` and `die`)
 * telling a sample's own exit from the engine stopping its container: the engine logs `kill` for every
 * signal it is asked to send (a `docker stop` or `kill`, a daemon shutting down its containers), before
 * the container's `die`, on the same stream. The worker's own kills (the wall-clock limit) are never
 * asked about. A stream that breaks is reopened from the time of the last event it carried, so the
 * events in the gap are replayed (the engine keeps its recent events).
 */
export class EngineEvents {
  private readonly seen = new Map<string, Seen>();
  private stream: NodeJS.ReadableStream | null = null;
  private closed = false;
  private lastNano: bigint | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly docker: Docker,
    private readonly instance: string,
    private readonly logger: Logger,
  ) {}

  /** Opens the stream (resolves once the engine has answered its headers). */
  async start(): Promise<void> {
    const filters = {
      type: ['container' as const],
      event: ['kill', 'die'],
      label: [`${INSTANCE_LABEL}=${this.instance}`, 'gavel.role=exec'],
    };
    const since = this.lastNano === null ? undefined : formatSince(this.lastNano);
    const stream = (await this.docker.getEvents({
      filters,
      ...(since ? { since: since as unknown as number } : {}),
      abortSignal: this.abort.signal,
    } as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
    this.stream = stream;
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        this.onEvent(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
    const gone = () => {
      if (this.stream !== stream) return;
      this.stream = null;
      if (!this.closed) this.reopen();
    };
    stream.on('end', gone);
    stream.on('close', gone);
    stream.on('error', gone);
  }

  private reopen(attempt = 0): void {
    if (this.closed) return;
    setTimeout(
      () => {
        this.start().catch((error: unknown) => {
          if (attempt === 0) this.logger.warn({ err: error }, 'Docker engine events stream lost; reopening');
          this.reopen(attempt + 1);
        });
      },
      Math.min(5000, 200 * 2 ** attempt),
    ).unref();
  }

  private onEvent(line: string): void {
    if (!line.trim()) return;
    let e: {
      Action?: string;
      status?: string;
      id?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
      timeNano?: number;
    };
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    const id = e.Actor?.ID ?? e.id;
    const action = e.Action ?? e.status;
    if (!id || !action) return;
    if (typeof e.timeNano === 'number') this.lastNano = BigInt(Math.trunc(e.timeNano));
    const s = this.entry(id);
    if (action === 'kill') s.kills.push(e.Actor?.Attributes?.signal ?? '?');
    else if (action === 'die') {
      s.died = true;
      for (const w of s.waiters.splice(0)) w();
    }
  }

  private entry(id: string): Seen {
    let s = this.seen.get(id);
    if (!s) {
      if (this.seen.size >= MAX_SEEN) {
        const oldest = this.seen.keys().next().value;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
      s = { kills: [], died: false, waiters: [] };
      this.seen.set(id, s);
    }
    return s;
  }

  /**
   * How container `id` ended, once its `die` event has arrived (at most `graceMs` after it exited);
   * call after the engine reported it exited. Forgets the container.
   */
  async ended(id: string, graceMs: number): Promise<ContainerEnd> {
    const s = this.entry(id);
    if (!s.died) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        s.waiters.push(resolve);
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    this.seen.delete(id);
    if (!s.died) return { by: 'unknown' };
    if (s.kills.length > 0) return { by: 'engine', signal: s.kills.join(',') };
    return { by: 'itself' };
  }

  /** Forgets a container not asked about (one the worker killed itself, or one never started). */
  forget(id: string): void {
    this.seen.delete(id);
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    this.stream = null;
    s?.destroy?.();
    this.seen.clear();
  }
}

/** `since` for the events API: seconds.nanoseconds (the engine's own timestamp format). */
function formatSince(nano: bigint): string {
  const s = nano / 1_000_000_000n;
  const n = nano % 1_000_000_000n;
  return `${s}.${n.toString().padStart(9, '0')}`;
}
