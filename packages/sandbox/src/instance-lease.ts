import type { Logger } from '@gavel/core';
import type Docker from 'dockerode';
import { type ContainerOwner, containerSpec } from './container-spec.ts';
import { classifyDockerError } from './docker-errors.ts';
import { DEFAULT_ENGINE_DEADLINES, type EngineDeadlines, engineCall } from './engine-call.ts';

/** Seconds a lease container lives without a heartbeat. */
export const DEFAULT_LEASE_TTL_S = 60;

/** The lease program: exits when no heartbeat byte arrives on stdin for `ttlS` seconds, or stdin ends. */
function leaseProgram(ttlS: number): string {
  return [
    'import os, select, sys',
    'while True:',
    `    ready, _, _ = select.select([0], [], [], ${ttlS})`,
    '    if not ready or not os.read(0, 4096):',
    '        sys.exit(0)',
  ].join('\n');
}

/**
 * A sandbox instance's liveness record, kept on the Docker engine itself so every host sharing the
 * engine sees it: a tiny locked-down container (label gavel.role=lease, gavel.instance=<id>) that
 * exits once the instance stops writing heartbeats to its stdin for `ttlS` seconds. So an instance is
 * alive exactly while its lease container runs, whatever its PID or host; a crashed worker's lease
 * ends within `ttlS` (a host that loses power included) and the orphan sweep may then remove its
 * containers. A lease that ends while its instance lives (an engine restart) is started again.
 */
export class InstanceLease {
  private container: Docker.Container | null = null;
  private beat: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly docker: Docker,
    private readonly opts: {
      image: string;
      owner: ContainerOwner;
      ttlS: number;
      logger: Logger;
      deadlines?: EngineDeadlines;
    },
  ) {}

  /** Starts the lease container and its heartbeat (every ttlS / 6). */
  async start(): Promise<void> {
    const d = this.opts.deadlines ?? DEFAULT_ENGINE_DEADLINES;
    const spec = containerSpec({
      image: this.opts.image,
      name: `gavel-lease-${this.opts.owner.instance}`,
      role: 'lease',
      limits: { cpus: 0.25, memory_mib: 64, pids: 8, tmpfs_mib: 8 },
      entrypoint: ['python3', '-c', leaseProgram(this.opts.ttlS)],
      owner: this.opts.owner,
    });
    try {
      const old = this.docker.getContainer(spec.name as string);
      await engineCall('remove', null, d.removeMs, (abortSignal) => old.remove({ force: true, abortSignal })).catch(
        () => {},
      );
      const c = await engineCall('create', null, d.callMs, (abortSignal) =>
        this.docker.createContainer({ ...spec, abortSignal }),
      );
      this.container = c;
      const stream = (await engineCall(
        'attach',
        null,
        d.callMs,
        (abortSignal) =>
          c.attach({
            stream: true,
            hijack: true,
            stdin: true,
            stdout: true,
            stderr: true,
            abortSignal,
          }) as Promise<NodeJS.ReadWriteStream>,
      )) as NodeJS.ReadWriteStream;
      stream.resume();
      const ended = () => this.onEnd(c);
      stream.on('end', ended);
      stream.on('close', ended);
      stream.on('error', ended);
      await engineCall('start', null, d.callMs, (abortSignal) => c.start({ abortSignal }));
      const every = Math.max(200, (this.opts.ttlS * 1000) / 6);
      this.beat = setInterval(() => stream.write('.'), every);
      this.beat.unref();
    } catch (error) {
      throw classifyDockerError(error, this.opts.image);
    }
  }

  private onEnd(c: Docker.Container): void {
    if (this.container !== c) return;
    this.container = null;
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
    if (this.stopped) return;
    this.opts.logger.warn({ instance: this.opts.owner.instance }, 'sandbox lease container ended; starting it again');
    this.restart();
  }

  /** Starts the lease again, and keeps trying (every ttlS / 6) while the engine refuses. */
  private restart(): void {
    if (this.stopped) return;
    this.start().catch((error: unknown) => {
      this.opts.logger.error({ err: error }, 'sandbox lease container could not be started again; retrying');
      setTimeout(() => this.restart(), Math.max(200, (this.opts.ttlS * 1000) / 6)).unref();
    });
  }

  /** Stops the heartbeat and removes the lease container (safe to call twice). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.beat) clearInterval(this.beat);
    this.beat = null;
    const c = this.container;
    this.container = null;
    const d = this.opts.deadlines ?? DEFAULT_ENGINE_DEADLINES;
    if (c)
      await engineCall('remove', null, d.removeMs, (abortSignal) => c.remove({ force: true, abortSignal })).catch(
        () => {},
      );
  }
}
