import { hostname } from 'node:os';
import { ConfigError, type Facts, type Logger, type Sample, type SandboxRunConfig, silentLogger } from '@gavel/core';
import Docker from 'dockerode';
import { AnalysisContainer } from './analysis-container.ts';
import { fabricatedClaims } from './claims.ts';
import { containerSpec } from './container-spec.ts';
import { BUILD_COMMAND, classifyDockerError } from './docker-errors.ts';
import { runExecContainer } from './exec-container.ts';
import { junitFacts } from './junit-facts.ts';
import { sweepOrphans } from './orphan-sweep.ts';
import {
  REPORT_BYTES,
  RESULT_LINE_BYTES,
  resultKey,
  runnerStdin,
  VALUE_BYTES,
  verifiedRunnerOutput,
} from './runner-output.ts';
import type { SandboxConfig } from './sandbox-config.ts';
import { Semaphore } from './semaphore.ts';
import { pyrightFacts, ruffFacts } from './static-facts.ts';
import { sampleWorkspace, workspaceTar } from './workspace-tar.ts';

export interface SandboxDescription {
  image: string;
  image_digest: string;
  tool_versions: Record<string, string>;
}

export interface DockerSandbox {
  codeFacts(sample: Sample, limits: SandboxRunConfig, signal: AbortSignal): Promise<Facts>;
  describe(): Promise<SandboxDescription>;
  close(): Promise<void>;
}

/** Files whose contents exceed this are not sent to the analysers (a 50 MB source must not stall them). */
const MAX_ANALYSIS_FILE_BYTES = 1024 * 1024;

export function dockerClient(dockerHost: string | null): Docker {
  if (!dockerHost) return new Docker();
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}

/**
 * The Docker sandbox for code samples: ruff + pyright in the shared analysis container (warm), pytest
 * in a fresh disposable container per sample, both concurrently. An unreachable engine → TransientError;
 * a missing image → ConfigError naming the build command.
 */
export async function createDockerSandbox(
  config: SandboxConfig,
  logger: Logger = silentLogger,
): Promise<DockerSandbox> {
  const image = config.image;
  if (!image)
    throw new ConfigError(
      `GAVEL_SANDBOX_IMAGE is not set: build the image with ${BUILD_COMMAND} and set it to the tag it prints`,
    );
  const docker = dockerClient(config.dockerHost);
  let digest: string;
  try {
    digest = (await docker.getImage(image).inspect()).Id;
  } catch (error) {
    throw classifyDockerError(error, image);
  }
  const swept = await sweepOrphans(docker);
  if (swept.length > 0) logger.warn({ count: swept.length }, 'removed orphaned sandbox containers');
  const owner = { pid: process.pid, host: hostname() };
  const gate = new Semaphore(config.concurrency);
  const analysis = new AnalysisContainer(docker, {
    image,
    limits: {
      cpus: Math.max(1, Math.min(2, config.concurrency)),
      memory_mib: config.analysisMemoryMib,
      pids: 256,
      tmpfs_mib: 256,
    },
    requestTimeoutMs: 120_000,
    maxFileBytes: MAX_ANALYSIS_FILE_BYTES,
    logger,
  });
  let described: SandboxDescription | null = null;
  let seq = 0;

  async function describe(): Promise<SandboxDescription> {
    if (described) return described;
    const spec = containerSpec({
      image: image as string,
      name: `gavel-versions-${process.pid}-${++seq}`,
      role: 'exec',
      limits: config.limits,
      owner,
    });
    spec.Cmd = ['--versions'];
    const r = await runExecContainer(docker, spec, Buffer.alloc(0), {
      wallMs: 30_000,
      outputBytes: 65536,
      signal: AbortSignal.timeout(60_000),
    });
    const versions = JSON.parse(r.stdout) as Record<string, string>;
    described = { image: image as string, image_digest: digest, tool_versions: versions };
    return described;
  }

  async function execute(sample: Sample, limits: SandboxRunConfig, signal: AbortSignal) {
    const ws = sampleWorkspace(sample);
    const wallMs = limits.wall_s * 1000;
    const tar = await workspaceTar(ws, {
      timeout_s: Math.max(1, limits.wall_s - 2),
      output_bytes: limits.output_bytes,
      report_bytes: REPORT_BYTES,
      value_bytes: VALUE_BYTES,
    });
    const key = resultKey();
    const spec = containerSpec({
      image: image as string,
      name: `gavel-exec-${process.pid}-${++seq}`,
      role: 'exec',
      limits: { cpus: limits.cpus, memory_mib: limits.memory_mib, pids: limits.pids, tmpfs_mib: limits.tmpfs_mib },
      owner,
    });
    const release = await gate.acquire(signal);
    const t = performance.now();
    try {
      const r = await runExecContainer(docker, spec, runnerStdin(key, tar), {
        wallMs,
        outputBytes: RESULT_LINE_BYTES,
        signal,
      });
      return { ws, r, key, total: performance.now() - t };
    } finally {
      release();
    }
  }

  return {
    describe,
    async codeFacts(sample, limits, signal) {
      const started = performance.now();
      const ws = sampleWorkspace(sample);
      const pyFiles = Object.fromEntries(Object.entries(ws.solution).filter(([p]) => /\.pyi?$/.test(p)));
      const t = performance.now();
      const [analysed, executed] = await Promise.all([
        analysis.analyse(pyFiles, signal).then((a) => ({ a, ms: performance.now() - t })),
        execute(sample, limits, signal),
      ]);
      const { r } = executed;
      // Only the runner's line under this container's key is a fact; anything else on stdout is not.
      const out = r.timed_out || r.oom_killed ? null : verifiedRunnerOutput(r.stdout, executed.key);
      if (!out && !r.timed_out && !r.oom_killed) {
        logger.warn({ sample: sample.id, exit_code: r.exit_code }, 'sandbox runner printed no verified facts document');
      }
      const tests = ws.expected > 0 || ws.tests.source ? junitFacts(out?.junit_xml ?? null, ws.expected) : null;
      const ruff = ruffFacts(analysed.a.ruff);
      if (analysed.a.skipped.length > 0) {
        ruff.diagnostics.push(
          ...analysed.a.skipped.map((f) => ({
            code: 'gavel-too-large',
            message: `${f}: over ${MAX_ANALYSIS_FILE_BYTES} bytes, not analysed`,
            severity: 'error' as const,
          })),
        );
        ruff.errors += analysed.a.skipped.length;
      }
      const pyright = pyrightFacts(analysed.a.pyright);
      const facts: Facts = {
        kind: 'code',
        reference: null,
        tests,
        ruff,
        pyright,
        exit_code: out ? out.exit_code : r.exit_code,
        duration_ms: performance.now() - started,
        timed_out: r.timed_out || out?.timed_out === true,
        oom_killed: r.oom_killed,
        output_truncated: r.output_truncated || out?.output_truncated === true,
        fabricated_claim: [],
        sandbox: {
          image: image as string,
          image_digest: digest,
          split_ms: {
            container: Math.max(0, executed.total - (out?.duration_ms ?? r.run_ms)),
            analysis: analysed.ms,
            execution: out?.duration_ms ?? r.run_ms,
          },
        },
      };
      facts.fabricated_claim = fabricatedClaims(sample.claims, facts);
      return facts;
    },
    async close() {
      await analysis.stop();
    },
  };
}
