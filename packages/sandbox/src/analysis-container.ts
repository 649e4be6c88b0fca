import { PassThrough } from 'node:stream';
import type { Logger } from '@gavel/core';
import { InputError, TransientError } from '@gavel/core';
import type Docker from 'dockerode';
import { z } from 'zod';
import { type AnalysisCaps, planAnalysisRequest, type SkippedFile } from './analysis-request.ts';
import { BatchClock } from './batch-clock.ts';
import { type ContainerLimits, type ContainerOwner, containerSpec, TMPFS_INODES } from './container-spec.ts';
import { classifyDockerError } from './docker-errors.ts';
import { DEFAULT_ENGINE_DEADLINES, type EngineDeadlines, engineCall } from './engine-call.ts';
import { PyrightResult, RuffResult } from './static-facts.ts';

export const AnalysisResponse = z.object({
  id: z.string(),
  ruff: RuffResult,
  pyright: PyrightResult,
  skipped: z.array(z.string()).default([]),
});
export type AnalysisResponse = z.infer<typeof AnalysisResponse>;

/** The server's answer for one request it could not analyse (`input`: the sample's own fault). */
const AnalysisRefusal = z.object({ id: z.string(), error: z.string(), code: z.enum(['input', 'transient']) });

/**
 * An analysis with every file left out and why, and how long the request waited queued behind other
 * batches before its own ran (its time in the server less its batch's pyright run).
 */
export type Analysis = Omit<AnalysisResponse, 'skipped'> & { skipped: SkippedFile[]; queued_ms: number };

interface Waiter {
  resolve: (r: AnalysisResponse) => void;
  reject: (e: unknown) => void;
}

/**
 * The long-lived, locked-down analysis container (same spec as the execution containers: network
 * none, read-only root, non-root, no capabilities): one analysis server reading NDJSON requests on
 * an attached stdin and answering on stdout, so ruff and pyright start once and pyright checks many
 * samples per run, gathering a batch while its answers are not yet needed (each request's `withinMs`
 * hint; at most 20 s). If it dies, or its running batch goes `requestTimeoutMs` without an answer
 * ({@link BatchClock}: time queued behind other batches does not count), pending requests fail
 * transiently and the next request starts a fresh one. A request queued longer than the deadline is
 * logged (the analysis container is the bottleneck), and its queue wait is in its analysis. A request the server cannot analyse is answered for that request alone
 * (an InputError when the sample caused it, such as `a.py` beside `a.py/b.py`); each request's files
 * are bounded by {@link AnalysisCaps}, and one pyright batch by half the scratch tmpfs.
 */
export class AnalysisContainer {
  private container: Docker.Container | null = null;
  private stdin: NodeJS.WritableStream | null = null;
  private starting: Promise<void> | null = null;
  private readonly waiters = new Map<string, Waiter>();
  private seq = 0;
  private readonly clock: BatchClock;

  constructor(
    private readonly docker: Docker,
    private readonly opts: {
      image: string;
      limits: ContainerLimits;
      requestTimeoutMs: number;
      caps: AnalysisCaps;
      owner: ContainerOwner;
      logger: Logger;
      deadlines?: EngineDeadlines;
      /** Extra environment of the analysis server (tests: GAVEL_PYRIGHT_TIMEOUT_MS). */
      env?: string[];
    },
  ) {
    this.clock = new BatchClock(opts.requestTimeoutMs, (ranMs) => {
      this.opts.logger.warn(
        { ran_ms: Math.round(ranMs), pending: this.clock.pending },
        'analysis batch did not answer within its deadline; restarting the analysis container',
      );
      const c = this.container;
      if (c) this.onDeath(c, `analysis batch did not answer in ${this.opts.requestTimeoutMs} ms`);
    });
  }

  private get deadlines(): EngineDeadlines {
    return this.opts.deadlines ?? DEFAULT_ENGINE_DEADLINES;
  }

  private async start(): Promise<void> {
    const spec = containerSpec({
      image: this.opts.image,
      name: `gavel-analysis-${this.opts.owner.instance.slice(0, 8)}-${Date.now().toString(36)}`,
      role: 'analysis',
      limits: this.opts.limits,
      entrypoint: ['node', '/opt/gavel/analysis-server.mjs'],
      owner: this.opts.owner,
    });
    const { caps } = this.opts;
    spec.Env = [
      ...(spec.Env ?? []),
      `GAVEL_ANALYSIS_MAX_FILE_BYTES=${caps.maxFileBytes}`,
      `GAVEL_ANALYSIS_MAX_REQUEST_BYTES=${caps.maxRequestBytes}`,
      `GAVEL_ANALYSIS_MAX_REQUEST_FILES=${caps.maxRequestFiles}`,
      `GAVEL_ANALYSIS_BATCH_BYTES=${Math.floor((this.opts.limits.tmpfs_mib * 1024 * 1024) / 2)}`,
      `GAVEL_ANALYSIS_BATCH_INODES=${Math.floor(TMPFS_INODES / 2)}`,
      ...(this.opts.env ?? []),
    ];
    const callMs = this.deadlines.callMs;
    try {
      const c = await engineCall('create', null, callMs, (abortSignal) =>
        this.docker.createContainer({ ...spec, abortSignal }),
      );
      this.container = c;
      // Each container's own partial line: a replaced one's late output never mixes with the next's.
      let buffered = '';
      const stream = (await engineCall(
        'attach',
        null,
        callMs,
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
      const out = new PassThrough();
      const err = new PassThrough();
      this.docker.modem.demuxStream(stream, out, err);
      err.resume();
      let ready: () => void = () => {};
      const isReady = new Promise<void>((r) => {
        ready = r;
      });
      out.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          // A line of a container already replaced (its late output) is not this server's progress.
          if (this.container === c) this.onLine(line, ready);
          nl = buffered.indexOf('\n');
        }
      });
      const died = () => this.onDeath(c);
      stream.on('end', died);
      stream.on('close', died);
      stream.on('error', died);
      await engineCall('start', null, callMs, (abortSignal) => c.start({ abortSignal }));
      this.stdin = stream;
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new TransientError('analysis container did not become ready in 30 s')), 30000).unref(),
      );
      await Promise.race([isReady, timeout]);
    } catch (error) {
      await this.stop();
      throw classifyDockerError(error, this.opts.image);
    }
  }

  private onLine(line: string, ready: () => void): void {
    if (!line.trim()) return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if ((msg as { ready?: boolean }).ready) {
      ready();
      return;
    }
    const id = (msg as { id?: string }).id;
    this.clock.answered(typeof id === 'string' ? id : null);
    const refusal = AnalysisRefusal.safeParse(msg);
    if (!id && 'error' in (msg as object)) {
      this.opts.logger.warn({ error: String((msg as { error?: unknown }).error) }, 'analysis server refused a line');
    }
    const waiter = id ? this.waiters.get(id) : undefined;
    if (!waiter || !id) return;
    this.waiters.delete(id);
    if (refusal.success) {
      const { error, code } = refusal.data;
      waiter.reject(code === 'input' ? new InputError(`analysis: ${error}`) : new TransientError(`analysis: ${error}`));
      return;
    }
    const parsed = AnalysisResponse.safeParse(msg);
    if (parsed.success) waiter.resolve(parsed.data);
    else
      waiter.reject(
        new TransientError(`analysis server answered an unreadable response: ${parsed.error.message.slice(0, 300)}`),
      );
  }

  private onDeath(c: Docker.Container, why = 'analysis container ended while checking a sample'): void {
    if (this.container !== c) return;
    this.opts.logger.warn({}, 'analysis container ended; the next request starts a fresh one');
    this.container = null;
    this.stdin = null;
    this.starting = null;
    this.clock.reset();
    void this.remove(c);
    for (const [id, w] of this.waiters) {
      w.reject(new TransientError(`${why}; restarting the analysis container`));
      this.waiters.delete(id);
    }
  }

  private remove(c: Docker.Container): Promise<void> {
    return engineCall('remove', null, this.deadlines.removeMs, (abortSignal) =>
      c.remove({ force: true, abortSignal }),
    ).catch(() => {});
  }

  /**
   * Analyses one sample's files. `withinMs`: when its answer is needed (the server may hold it that
   * long, less its expected run, to gather a fuller pyright batch); absent: needed now.
   */
  async analyse(files: Record<string, string>, signal: AbortSignal, withinMs?: number): Promise<Analysis> {
    signal.throwIfAborted();
    if (!this.stdin) {
      this.starting ??= this.start().catch((e) => {
        this.starting = null;
        throw e;
      });
      await this.starting;
    }
    const stdin = this.stdin;
    if (!stdin) throw new TransientError('analysis container is not running');
    const id = `r${++this.seq}`;
    const plan = planAnalysisRequest(files, this.opts.caps);
    return new Promise<Analysis>((resolve, reject) => {
      const onAbort = () => {
        // Only the waiter goes: the request stays outstanding on the clock until the server answers it.
        this.waiters.delete(id);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const sentAt = performance.now();
      this.waiters.set(id, {
        resolve: (r) => {
          signal.removeEventListener('abort', onAbort);
          const batch = r.pyright.batch_size ?? 1;
          if (r.pyright.report === null && batch > 1) {
            // Not this sample's doing (a load, or another sample of the batch): no report is not "clean".
            const what = r.pyright.timed_out
              ? 'timed out'
              : `gave no report (exit code ${r.pyright.exit_code ?? 'none'})`;
            reject(new TransientError(`analysis: pyright ${what} on a batch of ${batch} samples; not graded`));
            return;
          }
          const refused = r.skipped.map((file) => ({ file, reason: 'refused by the analysis server' }));
          const queued = Math.max(0, performance.now() - sentAt - r.pyright.duration_ms);
          if (queued > this.opts.requestTimeoutMs) {
            this.opts.logger.warn(
              { queued_ms: Math.round(queued), pending: this.clock.pending },
              'analysis request queued longer than the analysis deadline: the analysis container is the bottleneck',
            );
          }
          resolve({ ...r, skipped: [...plan.skipped, ...refused], queued_ms: queued });
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      this.clock.sent(id);
      const hint = withinMs === undefined ? {} : { within_ms: Math.max(0, Math.round(withinMs)) };
      stdin.write(`${JSON.stringify({ id, files: plan.files, ...hint })}\n`);
    });
  }

  async stop(): Promise<void> {
    const c = this.container;
    this.container = null;
    this.stdin = null;
    this.starting = null;
    this.clock.reset();
    if (c) await this.remove(c);
  }
}
