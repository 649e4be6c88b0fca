import { assertOneRedisTarget, BaseEnv, ConfigError, envBoolean, envPort, parseEnv } from '@gavel/core';
import { z } from 'zod';
import { splitCommandLine } from './command-line.ts';

/** The vLLM command line the agent starts when it hands the card to vLLM. */
export const DEFAULT_VLLM_COMMAND =
  'vllm serve nvidia/Llama-3.1-8B-Instruct-FP4 --host 127.0.0.1 --port 8000 --kv-cache-dtype fp8 ' +
  '--enable-chunked-prefill --enable-prefix-caching --gpu-memory-utilization 0.90 --max-model-len 16384';

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);

export const GpuAgentEnv = BaseEnv.extend({
  /** The GPU this agent owns: an nvidia-smi index or UUID. @default 0 */
  GAVEL_GPU_ID: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'an nvidia-smi index or GPU UUID')
    .default('0'),
  /** Lease expiry; the holder renews every third of it. @default 15 */
  GAVEL_GPU_LEASE_TTL_S: seconds(15),
  /** Seconds the judge queue must stay empty before the card goes back to Ollama. @default 300 */
  GAVEL_GPU_IDLE_S: z.coerce.number().min(0).default(300),
  /** How often the agent looks at the judge queue. @default 1000 */
  GAVEL_GPU_POLL_MS: z.coerce.number().int().min(10).default(1000),
  /** @default http://127.0.0.1:11434 */
  GAVEL_OLLAMA_URL: z.string().url().default('http://127.0.0.1:11434'),
  /** Command line of the vLLM server (split like a shell, not run through one). */
  GAVEL_VLLM_COMMAND: z.string().min(1).default(DEFAULT_VLLM_COMMAND),
  /** Where the started vLLM server answers `/health`. @default http://127.0.0.1:8000 */
  GAVEL_VLLM_URL: z.string().url().default('http://127.0.0.1:8000'),
  /** File the vLLM pid is kept in, so a restarted agent can stop an orphan. @default <data dir>/vllm-gpu<id>.pid */
  GAVEL_VLLM_PIDFILE: z.string().min(1).optional(),
  /** vLLM's output is appended here. @default <data dir>/vllm-gpu<id>.log */
  GAVEL_VLLM_LOG: z.string().min(1).optional(),
  /**
   * Command line of a vLLM serving the system under test on this card, at full precision: set, the
   * agent gives it the card while generate jobs wait (before the judge's vLLM). @default unset (no SUT here)
   */
  GAVEL_SUT_VLLM_COMMAND: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
  /** Where the SUT's vLLM answers `/health` (the generate workers' GAVEL_SUT_URL). @default http://127.0.0.1:8001 */
  GAVEL_SUT_VLLM_URL: z.string().url().default('http://127.0.0.1:8001'),
  /** @default <data dir>/sut-vllm-gpu<id>.pid */
  GAVEL_SUT_VLLM_PIDFILE: z.string().min(1).optional(),
  /** @default <data dir>/sut-vllm-gpu<id>.log */
  GAVEL_SUT_VLLM_LOG: z.string().min(1).optional(),
  /** VRAM used (MiB) below which the card counts as free for the next owner. @default 1024 */
  GAVEL_VRAM_FREE_MIB: z.coerce.number().min(0).default(1024),
  /** Electricity price for the energy cost counter. @default 0.15 */
  GAVEL_ELECTRICITY_USD_PER_KWH: z.coerce.number().min(0).default(0.15),
  /** nvidia-smi binary (name on PATH or path). @default nvidia-smi */
  GAVEL_NVIDIA_SMI: z.string().min(1).default('nvidia-smi'),
  /** Telemetry sampling interval. @default 5000 */
  GAVEL_NVIDIA_SMI_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  /** After a failed handover to vLLM, wait this long before trying again. @default 60 */
  GAVEL_GPU_HANDOVER_RETRY_S: z.coerce.number().min(0).default(60),
  /** Step timeouts of a handover. */
  GAVEL_GPU_UNLOAD_TIMEOUT_S: seconds(60),
  GAVEL_GPU_VRAM_TIMEOUT_S: seconds(120),
  GAVEL_VLLM_START_TIMEOUT_S: seconds(900),
  GAVEL_VLLM_STOP_TIMEOUT_S: seconds(60),
  /** Run the Ollama gate proxy in this process. @default true */
  GAVEL_OLLAMA_GATE: envBoolean.default(true),
  /** Gate listen address; point editors at it instead of Ollama. @default 127.0.0.1 */
  GAVEL_OLLAMA_GATE_HOST: z.string().min(1).default('127.0.0.1'),
  /** @default 11435 */
  GAVEL_OLLAMA_GATE_PORT: envPort.default(11435),
  /** Retry-After (seconds) the gate answers while vLLM owns the card. @default 60 */
  GAVEL_OLLAMA_GATE_RETRY_AFTER_S: z.coerce.number().int().positive().default(60),
});
export type GpuAgentEnv = z.infer<typeof GpuAgentEnv>;

export interface GpuAgentConfig extends GpuAgentEnv {
  vllmArgv: [string, ...string[]];
  /** The SUT's vLLM, when one is served on this card. */
  sut?: { argv: [string, ...string[]]; url: string; pidFile: string; logFile: string };
  vllmPidFile: string;
  vllmLogFile: string;
  leaseTtlMs: number;
  idleMs: number;
  retryMs: number;
  timeouts: { unloadMs: number; vramMs: number; vllmStartMs: number; vllmStopMs: number };
}

/** Parses and compiles the gpu-agent's configuration; throws one {@link ConfigError} line. */
export function loadGpuAgentConfig(env: NodeJS.ProcessEnv): GpuAgentConfig {
  assertOneRedisTarget(env);
  const parsed = parseEnv(GpuAgentEnv, env);
  const commandLine = (name: string, line: string): [string, ...string[]] => {
    let argv: string[];
    try {
      argv = splitCommandLine(line);
    } catch (error) {
      throw new ConfigError(`invalid configuration: ${name}: ${(error as Error).message}`);
    }
    if (argv.length === 0) throw new ConfigError(`invalid configuration: ${name}: empty command line`);
    return argv as [string, ...string[]];
  };
  const argv = commandLine('GAVEL_VLLM_COMMAND', parsed.GAVEL_VLLM_COMMAND);
  const dir = parsed.GAVEL_DATA_DIR;
  const gpu = parsed.GAVEL_GPU_ID;
  if (parsed.GAVEL_GPU_POLL_MS * 2 > parsed.GAVEL_GPU_LEASE_TTL_S * 1000) {
    throw new ConfigError(
      `invalid configuration: GAVEL_GPU_POLL_MS=${parsed.GAVEL_GPU_POLL_MS} must be at most half of GAVEL_GPU_LEASE_TTL_S (${parsed.GAVEL_GPU_LEASE_TTL_S}s)`,
    );
  }
  return {
    ...parsed,
    vllmArgv: argv,
    ...(parsed.GAVEL_SUT_VLLM_COMMAND
      ? {
          sut: {
            argv: commandLine('GAVEL_SUT_VLLM_COMMAND', parsed.GAVEL_SUT_VLLM_COMMAND),
            url: parsed.GAVEL_SUT_VLLM_URL,
            pidFile: parsed.GAVEL_SUT_VLLM_PIDFILE ?? `${dir}/sut-vllm-gpu${gpu}.pid`,
            logFile: parsed.GAVEL_SUT_VLLM_LOG ?? `${dir}/sut-vllm-gpu${gpu}.log`,
          },
        }
      : {}),
    vllmPidFile: parsed.GAVEL_VLLM_PIDFILE ?? `${parsed.GAVEL_DATA_DIR}/vllm-gpu${parsed.GAVEL_GPU_ID}.pid`,
    vllmLogFile: parsed.GAVEL_VLLM_LOG ?? `${parsed.GAVEL_DATA_DIR}/vllm-gpu${parsed.GAVEL_GPU_ID}.log`,
    leaseTtlMs: Math.round(parsed.GAVEL_GPU_LEASE_TTL_S * 1000),
    idleMs: Math.round(parsed.GAVEL_GPU_IDLE_S * 1000),
    retryMs: Math.round(parsed.GAVEL_GPU_HANDOVER_RETRY_S * 1000),
    timeouts: {
      unloadMs: parsed.GAVEL_GPU_UNLOAD_TIMEOUT_S * 1000,
      vramMs: parsed.GAVEL_GPU_VRAM_TIMEOUT_S * 1000,
      vllmStartMs: parsed.GAVEL_VLLM_START_TIMEOUT_S * 1000,
      vllmStopMs: parsed.GAVEL_VLLM_STOP_TIMEOUT_S * 1000,
    },
  };
}
