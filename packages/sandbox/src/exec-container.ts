import { TransientError } from '@gavel/core';
import type Docker from 'dockerode';
import { CappedSink } from './capped-sink.ts';
import { classifyDockerError } from './docker-errors.ts';
import { DEFAULT_ENGINE_DEADLINES, type EngineDeadlines, engineCall } from './engine-call.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  output_truncated: boolean;
  exit_code: number | null;
  timed_out: boolean;
  oom_killed: boolean;
  /** Engine time: create + attach + start + remove. */
  container_ms: number;
  /** From start until the container exited. */
  run_ms: number;
  /** The engine's id of the container. */
  container_id: string;
}

/**
 * A disposable container created and attached (its stdin, stdout and stderr), never started: nothing
 * of a sample is in it until {@link runPreparedContainer} starts it and writes the workspace to stdin.
 */
export interface PreparedContainer {
  readonly container: Docker.Container;
  readonly image: string | undefined;
  readonly stream: NodeJS.ReadWriteStream;
  readonly out: CappedSink;
  readonly err: CappedSink;
  readonly ended: Promise<void>;
  /**
   * True once the attach stream has ended, closed or failed. Before start that means the container can
   * never receive its workspace (an engine restarted since it was made ahead keeps the created container
   * but drops the connection): starting it would run the runner on empty stdin and grade that.
   */
  readonly detached: () => boolean;
}

/**
 * Creates and attaches one container (no start). A container the engine created but whose attach
 * failed is removed before the error is thrown.
 */
export async function prepareExecContainer(
  docker: Docker,
  spec: Docker.ContainerCreateOptions,
  opts: { outputBytes: number; signal: AbortSignal | null; deadlines?: EngineDeadlines },
): Promise<PreparedContainer> {
  const d = opts.deadlines ?? DEFAULT_ENGINE_DEADLINES;
  let container: Docker.Container | undefined;
  try {
    opts.signal?.throwIfAborted();
    container = await engineCall('create', opts.signal, d.callMs, (abortSignal) =>
      docker.createContainer({ ...spec, abortSignal }),
    );
    const created = container;
    const stream = (await engineCall(
      'attach',
      opts.signal,
      d.callMs,
      (abortSignal) =>
        created.attach({
          stream: true,
          hijack: true,
          stdin: true,
          stdout: true,
          stderr: true,
          abortSignal,
        }) as Promise<NodeJS.ReadWriteStream>,
    )) as NodeJS.ReadWriteStream;
    const out = new CappedSink(opts.outputBytes);
    const err = new CappedSink(64 * 1024);
    let gone = false;
    const ended = new Promise<void>((resolve) => {
      const end = () => {
        gone = true;
        resolve();
      };
      stream.on('end', end);
      stream.on('close', end);
      stream.on('error', end);
    });
    docker.modem.demuxStream(stream, out, err);
    return { container, image: spec.Image, stream, out, err, ended, detached: () => gone };
  } catch (error) {
    if (container) await removeExecContainer(container, d);
    throw classifyDockerError(error, spec.Image);
  }
}

/**
 * Runs a prepared container once: start → write the workspace tar to stdin → wait (wall-clock limit
 * enforced here: kill) → inspect (OOM). It does not remove the container: the caller does, in every
 * outcome ({@link removeExecContainer}).
 */
export async function runPreparedContainer(
  prepared: PreparedContainer,
  stdin: Buffer,
  opts: { wallMs: number; signal: AbortSignal; deadlines?: EngineDeadlines },
): Promise<ExecResult> {
  const d = opts.deadlines ?? DEFAULT_ENGINE_DEADLINES;
  const { container: c, stream, out, err, ended } = prepared;
  try {
    opts.signal.throwIfAborted();
    if (prepared.detached()) {
      throw new TransientError('the execution container lost its attach stream before start (engine restarted?)', {
        retryAfterMs: 2000,
      });
    }
    await engineCall('start', opts.signal, d.callMs, (abortSignal) => c.start({ abortSignal }));
    const runStart = performance.now();
    stream.end(stdin);
    let timedOut = false;
    // The wait has no job signal: an abort kills the container (below) and the wait then sees it exit.
    const waited = engineCall(
      'wait',
      null,
      opts.wallMs + d.waitGraceMs,
      (abortSignal) => c.wait({ abortSignal }) as Promise<{ StatusCode: number }>,
    );
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const limit = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), opts.wallMs);
      onAbort = () => resolve('timeout');
      opts.signal.addEventListener('abort', onAbort, { once: true });
    });
    const first = await Promise.race([waited, limit]);
    clearTimeout(timer);
    if (onAbort) opts.signal.removeEventListener('abort', onAbort);
    if (first === 'timeout') {
      timedOut = true;
      await engineCall('kill', null, d.callMs, (abortSignal) => c.kill({ signal: 'SIGKILL', abortSignal })).catch(
        () => {},
      );
      // The kill is confirmed by the wait: an engine that never confirms it fails the run (transient).
      await waited;
    }
    const runEnd = performance.now();
    await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]);
    const info = await engineCall('inspect', null, d.callMs, (abortSignal) => c.inspect({ abortSignal }));
    opts.signal.throwIfAborted();
    return {
      stdout: out.text(),
      stderr: err.text(),
      output_truncated: out.truncated,
      exit_code: timedOut ? null : info.State.ExitCode,
      timed_out: timedOut,
      oom_killed: info.State.OOMKilled === true,
      container_ms: 0,
      run_ms: runEnd - runStart,
      container_id: c.id,
    };
  } catch (error) {
    throw classifyDockerError(error, prepared.image);
  }
}

/** Removes a container (and its anonymous volumes), on its own deadline; never throws. */
export async function removeExecContainer(container: Docker.Container, deadlines?: EngineDeadlines): Promise<void> {
  const d = deadlines ?? DEFAULT_ENGINE_DEADLINES;
  await engineCall('remove', null, d.removeMs, (abortSignal) =>
    container.remove({ force: true, v: true, abortSignal }),
  ).catch(() => {});
}

/**
 * Runs one disposable container: create → attach → start → write the workspace tar to stdin → wait
 * (wall-clock limit enforced here: kill) → inspect (OOM) → remove. The container is removed in
 * every outcome, including an abort and an engine error half-way. Every engine call has a deadline
 * ({@link EngineDeadlines}): a hung engine fails the run with a TransientError, never holds it for ever
 * (a container the engine created but never reported is left to the orphan sweep).
 */
export async function runExecContainer(
  docker: Docker,
  spec: Docker.ContainerCreateOptions,
  stdin: Buffer,
  opts: { wallMs: number; outputBytes: number; signal: AbortSignal; deadlines?: EngineDeadlines },
): Promise<ExecResult> {
  const prepared = await prepareExecContainer(docker, spec, opts);
  try {
    return await runPreparedContainer(prepared, stdin, opts);
  } finally {
    await removeExecContainer(prepared.container, opts.deadlines);
  }
}

/** Fills in container_ms (engine overhead) once the container is gone. */
export function withContainerTime(r: ExecResult, totalMs: number): ExecResult {
  return { ...r, container_ms: Math.max(0, totalMs - r.run_ms) };
}
