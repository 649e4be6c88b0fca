import type Docker from 'dockerode';
import { CappedSink } from './capped-sink.ts';
import { classifyDockerError } from './docker-errors.ts';

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
}

/**
 * Runs one disposable container: create → attach → start → write the workspace tar to stdin → wait
 * (wall-clock limit enforced here: kill) → inspect (OOM) → remove. The container is removed in
 * every outcome, including an abort and an engine error half-way.
 */
export async function runExecContainer(
  docker: Docker,
  spec: Docker.ContainerCreateOptions,
  stdin: Buffer,
  opts: { wallMs: number; outputBytes: number; signal: AbortSignal },
): Promise<ExecResult> {
  let container: Docker.Container | undefined;
  let runStart = 0;
  let runEnd = 0;
  try {
    opts.signal.throwIfAborted();
    container = await docker.createContainer(spec);
    const stream = (await container.attach({
      stream: true,
      hijack: true,
      stdin: true,
      stdout: true,
      stderr: true,
    })) as NodeJS.ReadWriteStream;
    const out = new CappedSink(opts.outputBytes);
    const err = new CappedSink(64 * 1024);
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    docker.modem.demuxStream(stream, out, err);
    await container.start();
    runStart = performance.now();
    stream.end(stdin);
    let timedOut = false;
    const c = container;
    const waited = c.wait() as Promise<{ StatusCode: number }>;
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
      await c.kill({ signal: 'SIGKILL' }).catch(() => {});
      await waited.catch(() => {});
    }
    runEnd = performance.now();
    await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]);
    const info = await c.inspect();
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
    };
  } catch (error) {
    throw classifyDockerError(error, spec.Image);
  } finally {
    if (container) await container.remove({ force: true, v: true }).catch(() => {});
  }
}

/** Fills in container_ms (engine overhead) once the container is gone. */
export function withContainerTime(r: ExecResult, totalMs: number): ExecResult {
  return { ...r, container_ms: Math.max(0, totalMs - r.run_ms) };
}
