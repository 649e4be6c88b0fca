import { envBoolean, parseEnv } from '@gavel/core';
import { z } from 'zod';

/** The judge's environment (`GAVEL_JUDGE_*`, `GAVEL_ROUTE_*`), parsed in the worker's main. */
export const JudgeEnv = z
  .object({
    /** `facts` (no LLM), `vllm` or `ollama`. @default vllm when GAVEL_JUDGE_URL is set, else facts */
    GAVEL_JUDGE: z.enum(['facts', 'vllm', 'ollama']).optional(),
    /** Server root, e.g. `http://127.0.0.1:8000` (vLLM) or `http://127.0.0.1:11434` (Ollama). */
    GAVEL_JUDGE_URL: z.string().url().optional(),
    GAVEL_JUDGE_MODEL: z.string().min(1).optional(),
    GAVEL_JUDGE_FAMILY: z.string().min(1).optional(),
    /** Bearer key (vLLM `--api-key`); never logged. */
    GAVEL_JUDGE_API_KEY: z.string().min(1).optional(),
    /** Extra self-consistency samples per sample. @default 0 */
    GAVEL_JUDGE_K: z.coerce.number().int().min(0).max(16).default(0),
    /** @default 0.7 */
    GAVEL_JUDGE_K_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
    /** Seed of the primary answer; extra sample i uses seed + i. @default 0 */
    GAVEL_JUDGE_SEED: z.coerce.number().int().default(0),
    /** Self-critique passes after the verdict (0, 1 or 2): the judge confirms or revises its own answer. @default 0 */
    GAVEL_JUDGE_CRITIQUE: z.coerce.number().int().min(0).max(2).default(0),
    /** Context window the judge needs; the server must offer at least this. @default 16384 */
    GAVEL_JUDGE_CONTEXT: z.coerce.number().int().positive().default(16_384),
    /** Judge requests in flight per worker process, shared by all its jobs. @default 64 */
    GAVEL_JUDGE_INFLIGHT: z.coerce.number().int().positive().max(4096).default(64),
    /** @default 1024 */
    GAVEL_JUDGE_MAX_OUTPUT_TOKENS: z.coerce.number().int().positive().default(1024),
    /** Per-request deadline in seconds. @default 300 */
    GAVEL_JUDGE_TIMEOUT_S: z.coerce.number().positive().default(300),
    /** Answers that do not validate are asked again this many times before the job fails. @default 2 */
    GAVEL_JUDGE_INVALID_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    /** How long a job waits for an unreachable or overloaded server before it gives up this attempt. @default 120 */
    GAVEL_JUDGE_WAIT_S: z.coerce.number().min(0).default(120),
    /** How long start-up waits for the server to come up. @default 120 */
    GAVEL_JUDGE_STARTUP_WAIT_S: z.coerce.number().min(0).default(120),
    /** Check at start-up that the served model takes images (runs with image pairs need it). @default false */
    GAVEL_JUDGE_VISION: envBoolean.default(false),
    /** The critic of the critique passes, when not the judge itself: `vllm` or `ollama`. @default vllm */
    GAVEL_CRITIC: z.enum(['vllm', 'ollama']).optional(),
    /** Server root of the critic; set it (with GAVEL_JUDGE_CRITIQUE ≥ 1) to critique with another model. */
    GAVEL_CRITIC_URL: z.string().url().optional(),
    GAVEL_CRITIC_MODEL: z.string().min(1).optional(),
    /** The critic's model family: it must differ from every system under test's (checked like the judge's). */
    GAVEL_CRITIC_FAMILY: z.string().min(1).optional(),
    /** Bearer key of the critic's server; never logged. */
    GAVEL_CRITIC_API_KEY: z.string().min(1).optional(),
    GAVEL_ROUTE_MIN_AGREEMENT: z.coerce.number().min(0).max(1).default(0.8),
    GAVEL_ROUTE_MARGIN: z.coerce.number().min(0).max(1).default(0.05),
    /** A consistent pair preference with a mean margin below this goes to the arbiter. @default 0.2 */
    GAVEL_ROUTE_PAIR_MARGIN: z.coerce.number().min(0).max(1).default(0.2),
  })
  .superRefine((e, ctx) => {
    const mode = e.GAVEL_JUDGE ?? (e.GAVEL_JUDGE_URL ? 'vllm' : 'facts');
    if (mode === 'facts') return;
    for (const key of ['GAVEL_JUDGE_URL', 'GAVEL_JUDGE_MODEL', 'GAVEL_JUDGE_FAMILY'] as const) {
      if (!e[key]) ctx.addIssue({ code: 'custom', path: [key], message: `required when GAVEL_JUDGE=${mode}` });
    }
    if (!e.GAVEL_CRITIC_URL) return;
    for (const key of ['GAVEL_CRITIC_MODEL', 'GAVEL_CRITIC_FAMILY'] as const) {
      if (!e[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when GAVEL_CRITIC_URL is set' });
    }
    if (e.GAVEL_JUDGE_CRITIQUE === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['GAVEL_JUDGE_CRITIQUE'],
        message: 'GAVEL_CRITIC_URL names a critic, but no critique pass is asked for: set GAVEL_JUDGE_CRITIQUE=1 or 2',
      });
    }
  });

/** A critic of another family than the SUT, asked for the critique passes instead of the judge. */
export interface CriticSettings {
  mode: 'vllm' | 'ollama';
  url: string;
  model: string;
  family: string;
  apiKey: string | undefined;
}

interface LlmJudgeConfig {
  mode: 'vllm' | 'ollama';
  url: string;
  model: string;
  family: string;
  apiKey: string | undefined;
  k: number;
  kTemperature: number;
  seed: number;
  /** Self-critique passes after the verdict. @default 0 */
  critique?: number;
  /** Who critiques, when not the judge itself. */
  critic?: CriticSettings;
  contextTokens: number;
  inflight: number;
  maxOutputTokens: number;
  requestTimeoutMs: number;
  invalidRetries: number;
  waitMs: number;
  startupWaitMs: number;
  /** The served model takes images (checked at start-up). */
  vision?: boolean;
  routing: { min_agreement: number; threshold_margin: number; pair_min_margin?: number };
}

/** The judge's compiled configuration: `facts`, or an LLM server with every default filled in. */
export type JudgeConfig = { mode: 'facts' } | LlmJudgeConfig;
export type LlmJudgeSettings = LlmJudgeConfig;

/** A server root as the backends use it: no trailing `/` or `/v1`. */
function serverRoot(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Parses the judge's environment; throws one `ConfigError` naming every bad variable. */
export function loadJudgeConfig(env: NodeJS.ProcessEnv): JudgeConfig {
  const e = parseEnv(JudgeEnv, env);
  const mode = e.GAVEL_JUDGE ?? (e.GAVEL_JUDGE_URL ? 'vllm' : 'facts');
  if (mode === 'facts') return { mode };
  return {
    mode,
    url: serverRoot(e.GAVEL_JUDGE_URL ?? ''),
    model: e.GAVEL_JUDGE_MODEL ?? '',
    family: e.GAVEL_JUDGE_FAMILY ?? '',
    apiKey: e.GAVEL_JUDGE_API_KEY,
    k: e.GAVEL_JUDGE_K,
    kTemperature: e.GAVEL_JUDGE_K_TEMPERATURE,
    seed: e.GAVEL_JUDGE_SEED,
    critique: e.GAVEL_JUDGE_CRITIQUE,
    ...(e.GAVEL_CRITIC_URL
      ? {
          critic: {
            mode: e.GAVEL_CRITIC ?? 'vllm',
            url: serverRoot(e.GAVEL_CRITIC_URL),
            model: e.GAVEL_CRITIC_MODEL ?? '',
            family: e.GAVEL_CRITIC_FAMILY ?? '',
            apiKey: e.GAVEL_CRITIC_API_KEY,
          },
        }
      : {}),
    contextTokens: e.GAVEL_JUDGE_CONTEXT,
    inflight: e.GAVEL_JUDGE_INFLIGHT,
    maxOutputTokens: e.GAVEL_JUDGE_MAX_OUTPUT_TOKENS,
    requestTimeoutMs: e.GAVEL_JUDGE_TIMEOUT_S * 1000,
    invalidRetries: e.GAVEL_JUDGE_INVALID_RETRIES,
    waitMs: e.GAVEL_JUDGE_WAIT_S * 1000,
    startupWaitMs: e.GAVEL_JUDGE_STARTUP_WAIT_S * 1000,
    vision: e.GAVEL_JUDGE_VISION,
    routing: {
      min_agreement: e.GAVEL_ROUTE_MIN_AGREEMENT,
      threshold_margin: e.GAVEL_ROUTE_MARGIN,
      pair_min_margin: e.GAVEL_ROUTE_PAIR_MARGIN,
    },
  };
}
