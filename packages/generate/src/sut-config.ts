import { envBoolean, parseEnv } from '@gavel/core';
import { z } from 'zod';

/** An unset variable, or one set to the empty string (compose's `${VAR:-}`), is absent. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** The system under test's endpoint (`GAVEL_SUT_*`), parsed in the generate worker's main and the producer. */
export const SutEnv = z.object({
  /** Server root of any OpenAI-compatible endpoint (vLLM, Ollama's `/v1`, a hosted API). */
  GAVEL_SUT_URL: unsetIfEmpty(z.string().url()),
  GAVEL_SUT_MODEL: unsetIfEmpty(z.string().min(1)),
  /** Bearer key; never logged. */
  GAVEL_SUT_API_KEY: unsetIfEmpty(z.string().min(1)),
  /** Completion requests in flight per generate worker process, shared by all its jobs. @default 16 */
  GAVEL_SUT_INFLIGHT: z.coerce.number().int().positive().max(4096).default(16),
  /** Per-request deadline in seconds. @default 600 */
  GAVEL_SUT_TIMEOUT_S: z.coerce.number().positive().default(600),
  /** How long a job waits out an unreachable or overloaded server before this attempt gives up. @default 120 */
  GAVEL_SUT_WAIT_S: z.coerce.number().min(0).default(120),
  /** How long start-up waits for the server to come up. @default 60 */
  GAVEL_SUT_STARTUP_WAIT_S: z.coerce.number().min(0).default(60),
  /**
   * The SUT is served on gavel's own card by a gpu-agent (GAVEL_SUT_VLLM_COMMAND): generate jobs run
   * only while its vLLM holds the GPU lease (GAVEL_GPU_ID), and the producer, finding it down, approximates
   * the token count. @default false
   */
  GAVEL_SUT_GPU_GATE: envBoolean.default(false),
  /** Batch mode: how long the oldest unsent request waits for more before its batch goes out (at once when the whole run is in). @default 60 */
  GAVEL_SUT_BATCH_WINDOW_S: z.coerce.number().min(0).default(60),
  /** Batch mode: requests per batch (the Batch API's limit is 50,000). @default 50000 */
  GAVEL_SUT_BATCH_MAX_REQUESTS: z.coerce.number().int().positive().max(50_000).default(50_000),
  /** Batch mode: first interval between polls of a batch (growing ×1.5 to 10×). @default 60 */
  GAVEL_SUT_BATCH_POLL_S: z.coerce.number().positive().default(60),
  /** Batch mode: re-submissions of an errored or expired request before its sample fails. @default 3 */
  GAVEL_SUT_BATCH_MAX_RESUBMITS: z.coerce.number().int().min(0).max(20).default(3),
});

/** The SUT client's compiled configuration; `undefined` when no endpoint is configured. */
export interface SutConfig {
  url: string;
  model: string;
  apiKey: string | undefined;
  inflight: number;
  requestTimeoutMs: number;
  waitMs: number;
  startupWaitMs: number;
  /** Served on gavel's own card: gate on the GPU lease (owner `sut`). */
  gpuGate: boolean;
  batch: SutBatchConfig;
}

/** Batch mode's settings (`GAVEL_SUT_BATCH_*`). */
export interface SutBatchConfig {
  windowMs: number;
  maxRequests: number;
  pollMs: number;
  maxResubmits: number;
}

/** Parses the SUT's environment: no `GAVEL_SUT_URL` means no endpoint (a `ConfigError` names every bad variable). */
export function loadSutConfig(env: NodeJS.ProcessEnv): SutConfig | undefined {
  const e = parseEnv(
    SutEnv.superRefine((v, ctx) => {
      if (v.GAVEL_SUT_URL && !v.GAVEL_SUT_MODEL) {
        ctx.addIssue({ code: 'custom', path: ['GAVEL_SUT_MODEL'], message: 'required when GAVEL_SUT_URL is set' });
      }
    }),
    env,
  );
  if (!e.GAVEL_SUT_URL) return undefined;
  return {
    url: e.GAVEL_SUT_URL.replace(/\/+$/, '').replace(/\/v1$/, ''),
    model: e.GAVEL_SUT_MODEL ?? '',
    apiKey: e.GAVEL_SUT_API_KEY,
    inflight: e.GAVEL_SUT_INFLIGHT,
    requestTimeoutMs: e.GAVEL_SUT_TIMEOUT_S * 1000,
    waitMs: e.GAVEL_SUT_WAIT_S * 1000,
    startupWaitMs: e.GAVEL_SUT_STARTUP_WAIT_S * 1000,
    gpuGate: e.GAVEL_SUT_GPU_GATE,
    batch: {
      windowMs: e.GAVEL_SUT_BATCH_WINDOW_S * 1000,
      maxRequests: e.GAVEL_SUT_BATCH_MAX_REQUESTS,
      pollMs: e.GAVEL_SUT_BATCH_POLL_S * 1000,
      maxResubmits: e.GAVEL_SUT_BATCH_MAX_RESUBMITS,
    },
  };
}
