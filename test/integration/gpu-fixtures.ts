/**
 * A GPU host made of fakes, around real Redis: the Ollama fake (in process), the fake vLLM as a
 * real child process started by the real vLLM controller, and the fake nvidia-smi reading the
 * VRAM both "hold" from a state directory. Used by the gpu-*.test.ts files.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@gavel/core';
import {
  createGpuMetrics,
  createNvidiaSmiReader,
  createOllamaController,
  createVllmController,
  type GpuAgentConfig,
  GpuLease,
  type HandoverResult,
  type LeaseWatch,
  loadGpuAgentConfig,
  type OllamaGate,
  startOllamaGate,
  watchLease,
} from '@gavel/gpu-lease';
import { stageQueue } from '@gavel/queue';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { type GpuAgent, startGpuAgent } from '../../apps/gpu-agent/src/agent.ts';
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts';
import { SOURCE_NODE } from '../support/gavel.ts';
import { freePort, type RedisServer, startRedis } from '../support/redis.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const FAKE_NVIDIA_SMI = join(ROOT, 'test', 'fakes', 'nvidia-smi');
export const FAKE_VLLM = join(ROOT, 'test', 'fakes', 'fake-vllm.ts');
export const AGENT_MAIN = join(ROOT, 'apps', 'gpu-agent', 'src', 'main.ts');

export interface GpuRig {
  redis: RedisServer;
  ollama: FakeOllama;
  dir: string;
  vramDir: string;
  vllmPort: number;
  /** Environment for the agent (config + the fake nvidia-smi's state dir). */
  env(overrides?: Record<string, string>, vllmFlags?: string): Record<string, string>;
  config(overrides?: Record<string, string>, vllmFlags?: string): GpuAgentConfig;
  close(): Promise<void>;
}

export async function startGpuRig(): Promise<GpuRig> {
  const redis = await startRedis({ appendonly: false });
  const dir = await mkdtemp(join(tmpdir(), 'gavel-gpu-'));
  const vramDir = join(dir, 'vram');
  await import('node:fs/promises').then((fs) => fs.mkdir(vramDir));
  const ollama = await startFakeOllama({
    models: [
      { name: 'rubric-writer:latest', sizeBytes: 9 * 1024 ** 3 },
      { name: 'judge-model:latest', sizeBytes: 6 * 1024 ** 3 },
    ],
    vramDir,
  });
  const vllmPort = await freePort();
  process.env.FAKE_NVIDIA_SMI_DIR = vramDir;
  const env = (overrides: Record<string, string> = {}, vllmFlags = ''): Record<string, string> => ({
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'info',
    GAVEL_DATA_DIR: dir,
    GAVEL_GPU_ID: '0',
    GAVEL_GPU_LEASE_TTL_S: '2',
    GAVEL_GPU_IDLE_S: '0.5',
    GAVEL_GPU_POLL_MS: '100',
    GAVEL_GPU_HANDOVER_RETRY_S: '30',
    GAVEL_OLLAMA_URL: ollama.url,
    GAVEL_VLLM_URL: `http://127.0.0.1:${vllmPort}`,
    GAVEL_VLLM_COMMAND: `${process.execPath} ${SOURCE_NODE} ${FAKE_VLLM} --port ${vllmPort} --vram-dir ${vramDir} --vram-mib 29000 --kv-cache-dtype fp8 --gpu-memory-utilization 0.90 --max-model-len 16384 ${vllmFlags}`,
    GAVEL_VRAM_FREE_MIB: '1024',
    GAVEL_NVIDIA_SMI: FAKE_NVIDIA_SMI,
    GAVEL_NVIDIA_SMI_INTERVAL_MS: '200',
    GAVEL_ELECTRICITY_USD_PER_KWH: '0.30',
    GAVEL_GPU_UNLOAD_TIMEOUT_S: '2',
    GAVEL_GPU_VRAM_TIMEOUT_S: '3',
    GAVEL_VLLM_START_TIMEOUT_S: '20',
    GAVEL_VLLM_STOP_TIMEOUT_S: '3',
    GAVEL_OLLAMA_GATE_PORT: '0',
    FAKE_NVIDIA_SMI_DIR: vramDir,
    ...overrides,
  });
  return {
    redis,
    ollama,
    dir,
    vramDir,
    vllmPort,
    env,
    config: (overrides, flags) => loadGpuAgentConfig(env(overrides, flags)),
    async close() {
      await ollama.stop();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `predicate` every 25 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  predicate: () => Promise<boolean> | boolean,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Loads a model through the given Ollama URL (as an editor would) and returns the HTTP response. */
export function ollamaChat(url: string, model: string, stream = false): Promise<Response> {
  return fetch(`${url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'draft a rubric' }], stream }),
    signal: AbortSignal.timeout(10_000),
  });
}

export interface RunningAgent {
  agent: GpuAgent;
  lease: GpuLease;
  watch: LeaseWatch;
  gate: OllamaGate;
  registry: Registry;
  results: HandoverResult[];
  queue: ReturnType<typeof stageQueue>;
  redis: Redis;
  prefix: string;
  stop(): Promise<void>;
}

/** The agent wired as apps/gpu-agent/src/main.ts wires it, in this process (to read its registry). */
export async function startInProcessAgent(
  rig: GpuRig,
  logger: Logger,
  overrides: Record<string, string> = {},
  vllmFlags = '',
  prefix = `t${randomUUID().slice(0, 8)}`,
): Promise<RunningAgent> {
  const config = rig.config({ GAVEL_STORE_PREFIX: prefix, GAVEL_QUEUE_PREFIX: `{${prefix}}`, ...overrides }, vllmFlags);
  const redis = new Redis(rig.redis.url, { maxRetriesPerRequest: null });
  const subscriber = new Redis(rig.redis.url, { maxRetriesPerRequest: null });
  const lease = new GpuLease({ redis, prefix, gpuId: config.GAVEL_GPU_ID, ttlMs: config.leaseTtlMs });
  const watch = watchLease({ lease, subscriber, pollMs: config.GAVEL_GPU_POLL_MS });
  await watch.ready;
  const gate = await startOllamaGate({
    upstream: config.GAVEL_OLLAMA_URL,
    host: '127.0.0.1',
    port: 0,
    retryAfterS: config.GAVEL_OLLAMA_GATE_RETRY_AFTER_S,
    lease: () => watch.current(),
  });
  const queue = stageQueue('judge', { connection: redis, prefix: config.GAVEL_QUEUE_PREFIX });
  const registry = new Registry();
  const results: HandoverResult[] = [];
  const agent = startGpuAgent({
    config,
    holder: `test-agent-${prefix}`,
    lease,
    watch,
    ollama: createOllamaController({ url: config.GAVEL_OLLAMA_URL }),
    vllm: createVllmController({
      argv: config.vllmArgv,
      url: config.GAVEL_VLLM_URL,
      pidFile: config.vllmPidFile,
      logFile: config.vllmLogFile,
      logger,
    }),
    smi: createNvidiaSmiReader({ binary: config.GAVEL_NVIDIA_SMI, timeoutMs: 5_000 }),
    judgeQueue: queue,
    metrics: createGpuMetrics(registry, { gpu: config.GAVEL_GPU_ID }),
    logger,
    onHandover: (r) => results.push(r),
  });
  const r: RunningAgent = {
    agent,
    lease,
    watch,
    gate,
    registry,
    results,
    queue,
    redis,
    prefix,
    async stop() {
      await agent.stop();
      await gate.close();
      await watch.close();
      await queue.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
  return r;
}
