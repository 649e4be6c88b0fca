import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ConfigError,
  type Facts,
  type Logger,
  type PointwiseSample,
  type SandboxRunConfig,
  silentLogger,
  TransientError,
} from '@gavel/core';
import { AnalysisContainer } from './analysis-container.ts';
import type { AnalysisCaps } from './analysis-request.ts';
import { answerNeededWithinMs, SlotTime } from './answer-needed.ts';
import { codeFactsOf } from './code-facts.ts';
import { type ContainerOwner, containerSpec } from './container-spec.ts';
import { dockerClient } from './docker-client.ts';
import { BUILD_COMMAND, classifyDockerError } from './docker-errors.ts';
import { type EngineDeadlines, engineCall } from './engine-call.ts';
import { ExecAhead } from './exec-ahead.ts';
import { removeExecContainer, runExecContainer, runPreparedContainer } from './exec-container.ts';
import { checkImagePin } from './image-pin.ts';
import { DEFAULT_LEASE_TTL_S } from './instance-lease.ts';
import { applyWorkerCaps } from './run-limits.ts';
import {
  REPORT_BYTES,
  RESULT_LINE_BYTES,
  resultKey,
  runnerStdin,
  VALUE_BYTES,
  verifiedRunnerOutput,
} from './runner-output.ts';
import type { SandboxConfig } from './sandbox-config.ts';
import { startSandboxInstance } from './sandbox-instance.ts';
import { Semaphore } from './semaphore.ts';
import { sampleWorkspace, workspaceTar } from './workspace-tar.ts';

export interface SandboxDescription {
  image: string;
  image_digest: string;
  tool_versions: Record<string, string>;
  /** This sandbox's instance id (label gavel.instance on its containers). */
  instance: string;
}

export interface DockerSandbox {
  codeFacts(sample: PointwiseSample, limits: SandboxRunConfig, signal: AbortSignal): Promise<Facts>;
  describe(): Promise<SandboxDescription>;
  close(): Promise<void>;
}

export interface DockerSandboxOptions {
  /** Seconds this instance's lease container lives without a heartbeat. @default 60 */
  leaseTtlS?: number;
  /** Seconds between this instance's orphan sweeps while it runs. @default leaseTtlS */
  sweepIntervalS?: number;
  /**
   * Make execution containers ahead (one per slot) while samples run. Off: each is created when its
   * sample's turn comes, as before (the benchmark's same-run baseline). @default true
   */
  createAhead?: boolean;
}

/** Bounds on what one sample sends to the analysers (a 50 MB source must not stall them). */
const ANALYSIS_CAPS: AnalysisCaps = {
  maxFileBytes: 1024 * 1024,
  maxRequestBytes: 8 * 1024 * 1024,
  maxRequestFiles: 500,
};

/**
 * The Docker sandbox for code samples: ruff + pyright in the shared analysis container (warm), pytest
 * in a fresh disposable container per sample, both concurrently. An unreachable or hung engine →
 * TransientError (every engine call has a deadline, `GAVEL_DOCKER_TIMEOUT_S`); a missing image →
 * ConfigError naming the build command. Containers run the image by its digest (resolved once, at
 * start), so a tag moved meanwhile cannot change what runs; a run pinning another digest → ConfigError.
 * Each sample runs at the run's limits capped at this worker's `GAVEL_SANDBOX_*` maxima; the facts say
 * which limits applied and which were capped. Each sandbox is an instance (a random id, a lease
 * container on the engine): at start, and every sweep interval while it runs, it sweeps the containers
 * of instances whose lease has ended.
 */
export async function createDockerSandbox(
  config: SandboxConfig,
  logger: Logger = silentLogger,
  options: DockerSandboxOptions = {},
): Promise<DockerSandbox> {
  const image = config.image;
  if (!image)
    throw new ConfigError(
      `GAVEL_SANDBOX_IMAGE is not set: build the image with ${BUILD_COMMAND} and set it to the tag it prints`,
    );
  const docker = dockerClient(config.dockerHost);
  const deadlines: EngineDeadlines = {
    callMs: config.dockerTimeoutMs,
    removeMs: config.dockerTimeoutMs,
    waitGraceMs: config.dockerTimeoutMs,
  };
  let digest: string;
  try {
    digest = (await engineCall('image inspect', null, deadlines.callMs, () => docker.getImage(image).inspect())).Id;
  } catch (error) {
    throw classifyDockerError(error, image);
  }
  const owner: ContainerOwner = { instance: randomUUID(), pid: process.pid, host: hostname() };
  const leaseTtlS = options.leaseTtlS ?? DEFAULT_LEASE_TTL_S;
  const instance = await startSandboxInstance(docker, {
    image,
    digest,
    owner,
    leaseTtlS,
    sweepIntervalS: options.sweepIntervalS ?? leaseTtlS,
    deadlines,
    logger,
  });
  const { events } = instance;
  const gate = new Semaphore(config.concurrency);
  // How long a sample holds an execution slot: with the queue at the gate, when its analysis is needed.
  const slotTime = new SlotTime();
  const analysis = new AnalysisContainer(docker, {
    image: digest,
    limits: {
      cpus: Math.max(1, Math.min(2, config.concurrency)),
      memory_mib: config.analysisMemoryMib,
      pids: 256,
      tmpfs_mib: 256,
    },
    requestTimeoutMs: 120_000,
    caps: ANALYSIS_CAPS,
    owner,
    logger,
    deadlines,
  });
  let described: SandboxDescription | null = null;
  let seq = 0;
  const tag = owner.instance.slice(0, 8);
  // One container made ahead per execution slot: a slot that frees finds its next container created.
  const ahead = new ExecAhead(docker, {
    ahead: options.createAhead === false ? 0 : config.concurrency,
    outputBytes: RESULT_LINE_BYTES,
    deadlines,
    logger,
  });

  async function describe(): Promise<SandboxDescription> {
    if (described) return described;
    const spec = containerSpec({
      image: digest,
      name: `gavel-versions-${tag}-${++seq}`,
      role: 'exec',
      limits: config.limits,
      owner,
    });
    spec.Cmd = ['--versions'];
    const r = await runExecContainer(docker, spec, Buffer.alloc(0), {
      wallMs: 30_000,
      outputBytes: 65536,
      signal: AbortSignal.timeout(60_000),
      deadlines,
    });
    const versions = JSON.parse(r.stdout) as Record<string, string>;
    described = { image: image as string, image_digest: digest, tool_versions: versions, instance: owner.instance };
    return described;
  }

  async function execute(
    sample: PointwiseSample,
    limits: ReturnType<typeof applyWorkerCaps>['limits'],
    signal: AbortSignal,
  ) {
    const ws = sampleWorkspace(sample);
    const wallMs = limits.wall_s * 1000;
    const tar = await workspaceTar(ws, {
      timeout_s: Math.max(1, limits.wall_s - 2),
      output_bytes: limits.output_bytes,
      report_bytes: REPORT_BYTES,
      value_bytes: VALUE_BYTES,
    });
    const key = resultKey();
    const containerLimits = {
      cpus: limits.cpus,
      memory_mib: limits.memory_mib,
      pids: limits.pids,
      tmpfs_mib: limits.tmpfs_mib,
    };
    const spec = () =>
      containerSpec({
        image: digest,
        name: `gavel-exec-${tag}-${++seq}`,
        role: 'exec',
        limits: containerLimits,
        owner,
      });
    const release = await gate.acquire(signal);
    const t = performance.now();
    let removal: Promise<void> | undefined;
    let held = false;
    try {
      const prepared = await ahead.take(JSON.stringify(containerLimits), spec, signal);
      const ready = performance.now();
      try {
        const r = await runPreparedContainer(prepared, runnerStdin(key, tar), { wallMs, signal, deadlines });
        held = true;
        return { ws, r, key, total: performance.now() - t, waitedForContainer: ready - t };
      } finally {
        // Removed after the slot is free: the next sample starts while this container goes.
        removal = removeExecContainer(prepared.container, deadlines);
      }
    } finally {
      if (held) slotTime.record(performance.now() - t);
      release();
      await removal;
    }
  }

  return {
    describe,
    async codeFacts(sample, pinned, signal) {
      checkImagePin(pinned, image, digest);
      const { limits, capped } = applyWorkerCaps(pinned, config.limits);
      const started = performance.now();
      const ws = sampleWorkspace(sample);
      const pyFiles = Object.fromEntries(Object.entries(ws.solution).filter(([p]) => /\.pyi?$/.test(p)));
      const t = performance.now();
      const within = answerNeededWithinMs({
        waiting: gate.waiting,
        concurrency: config.concurrency,
        slotMs: slotTime.ms,
      });
      const [analysed, executed] = await Promise.all([
        analysis.analyse(pyFiles, signal, within).then((a) => ({ a, ms: performance.now() - t })),
        execute(sample, limits, signal),
      ]);
      const { r } = executed;
      // Only the runner's line under this container's key is a fact; anything else on stdout is not.
      const out = r.timed_out || r.oom_killed ? null : verifiedRunnerOutput(r.stdout, executed.key);
      if (!out && !r.timed_out && !r.oom_killed) {
        // No verified document and no limit hit: the sample's own doing, unless the engine stopped it.
        const end = await events.ended(r.container_id, deadlines.waitGraceMs);
        if (end.by !== 'itself') {
          throw new TransientError(
            end.by === 'engine'
              ? `the Docker engine stopped the sample's container (signal ${end.signal}, exit ${r.exit_code}) before it finished; not graded`
              : `the Docker engine's events did not say how the sample's container ended (exit ${r.exit_code}); not graded`,
            { retryAfterMs: 5000 },
          );
        }
        logger.warn({ sample: sample.id, exit_code: r.exit_code }, 'sandbox runner printed no verified facts document');
      } else events.forget(r.container_id);
      return codeFactsOf({
        sample,
        ws,
        run: r,
        out,
        analysis: analysed.a,
        analysisMs: analysed.ms,
        engineMs: executed.total,
        totalMs: performance.now() - started,
        image: image as string,
        digest,
        limits,
        capped,
      });
    },
    async close() {
      await instance.stopWatching();
      await ahead.close();
      await analysis.stop();
      await instance.stopLease();
    },
  };
}
