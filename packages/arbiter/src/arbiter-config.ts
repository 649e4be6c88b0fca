import { readFileSync } from 'node:fs';
import { ConfigError, envBoolean, parseEnv } from '@gavel/core';
import { z } from 'zod';
import { DEFAULT_PRICES, PriceTable } from './price-table.ts';

export const ArbiterEnv = z
  .object({
    /** Which arbiter decides routed samples. @default none */
    GAVEL_ARBITER: z.enum(['anthropic-batch', 'openai-compatible', 'none']).default('none'),
    GAVEL_ARBITER_MODEL: z.string().min(1).optional(),
    GAVEL_ARBITER_FAMILY: z.string().min(1).optional(),
    /** Base URL of the API (Anthropic or OpenAI-compatible); falls back to the SDK's own variable. */
    GAVEL_ARBITER_URL: z.string().url().optional(),
    GAVEL_ARBITER_API_KEY: z.string().min(1).optional(),
    /** The Anthropic SDK's own variables: fallbacks of GAVEL_ARBITER_API_KEY / GAVEL_ARBITER_URL for `anthropic-batch`. */
    ANTHROPIC_API_KEY: z.string().min(1).optional(),
    ANTHROPIC_BASE_URL: z.string().url().optional(),
    /** The OpenAI SDK's own variables: fallbacks of GAVEL_ARBITER_API_KEY / GAVEL_ARBITER_URL for `openai-compatible`. */
    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_BASE_URL: z.string().url().optional(),
    /** Requests per batch (the API allows 100,000). @default 10000 */
    GAVEL_ARBITER_BATCH_MAX_REQUESTS: z.coerce.number().int().min(1).max(100_000).default(10_000),
    /** Bytes per batch body (the API allows 256 MB). @default 200000000 */
    GAVEL_ARBITER_BATCH_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(256 * 1000 * 1000)
      .default(200_000_000),
    /** Seconds a routed sample waits for others before its batch is sent anyway. @default 60 */
    GAVEL_ARBITER_BATCH_WINDOW_S: z.coerce.number().positive().default(60),
    GAVEL_ARBITER_CACHE_TTL: z.enum(['5m', '1h']).default('1h'),
    /** Times an errored (server-side) or expired request is sent again. @default 2 */
    GAVEL_ARBITER_MAX_RESUBMITS: z.coerce.number().int().min(0).default(2),
    /** First poll interval of a batch; later polls back off (×1.5, at most 10×). @default 30 */
    GAVEL_ARBITER_POLL_S: z.coerce.number().positive().default(30),
    /** Prefixes shorter than this are not cached by the API, so no priming call is made. @default 1024 */
    GAVEL_ARBITER_MIN_CACHE_TOKENS: z.coerce.number().int().min(0).default(1024),
    /** Re-read the cached prefix while a batch processes, so a long batch keeps hitting it. @default false */
    GAVEL_ARBITER_HEARTBEAT: envBoolean.default(false),
    GAVEL_ARBITER_MAX_TOKENS: z.coerce.number().int().min(1).default(1024),
    /** Per-request deadline of synchronous calls (priming, OpenAI-compatible). @default 120 */
    GAVEL_ARBITER_TIMEOUT_S: z.coerce.number().positive().default(120),
    GAVEL_PRICES_FILE: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.GAVEL_ARBITER !== 'none' && !env.GAVEL_ARBITER_MODEL) {
      ctx.addIssue({
        code: 'custom',
        path: ['GAVEL_ARBITER_MODEL'],
        message: `required when GAVEL_ARBITER=${env.GAVEL_ARBITER}`,
      });
    }
    if (env.GAVEL_ARBITER === 'anthropic-batch' && !env.GAVEL_ARBITER_API_KEY && !env.ANTHROPIC_API_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['GAVEL_ARBITER_API_KEY'],
        message: 'required (or ANTHROPIC_API_KEY) when GAVEL_ARBITER=anthropic-batch',
      });
    }
    if (env.GAVEL_ARBITER === 'openai-compatible' && !env.GAVEL_ARBITER_URL && !env.OPENAI_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['GAVEL_ARBITER_URL'],
        message: 'required (or OPENAI_BASE_URL) when GAVEL_ARBITER=openai-compatible',
      });
    }
  });

/** The arbiter's compiled configuration (the API key is kept out of `toJSON`, so it never reaches a log). */
export interface ArbiterConfig {
  mode: 'anthropic-batch' | 'openai-compatible' | 'none';
  model: string;
  family: string | undefined;
  baseURL: string | undefined;
  apiKey: () => string | undefined;
  batchMaxRequests: number;
  batchMaxBytes: number;
  batchWindowMs: number;
  cacheTtl: '5m' | '1h';
  maxResubmits: number;
  pollMs: number;
  minCacheTokens: number;
  heartbeat: boolean;
  maxTokens: number;
  timeoutMs: number;
  prices: PriceTable;
}

export function loadArbiterConfig(env: NodeJS.ProcessEnv): ArbiterConfig {
  const parsed = parseEnv(ArbiterEnv, env);
  const prices = parsed.GAVEL_PRICES_FILE ? readPrices(parsed.GAVEL_PRICES_FILE) : DEFAULT_PRICES;
  const model = parsed.GAVEL_ARBITER_MODEL ?? 'none';
  if (parsed.GAVEL_ARBITER === 'anthropic-batch' && !prices[model]) {
    throw new ConfigError(
      `GAVEL_ARBITER_MODEL=${model}: no price in ${parsed.GAVEL_PRICES_FILE ?? 'the default price table'} (known: ${Object.keys(prices).join(', ')}); add it to GAVEL_PRICES_FILE`,
    );
  }
  const sdk =
    parsed.GAVEL_ARBITER === 'openai-compatible'
      ? { key: parsed.OPENAI_API_KEY, url: parsed.OPENAI_BASE_URL }
      : { key: parsed.ANTHROPIC_API_KEY, url: parsed.ANTHROPIC_BASE_URL };
  const key = parsed.GAVEL_ARBITER_API_KEY ?? sdk.key;
  return {
    mode: parsed.GAVEL_ARBITER,
    model,
    family: parsed.GAVEL_ARBITER_FAMILY,
    baseURL: parsed.GAVEL_ARBITER_URL ?? sdk.url,
    apiKey: () => key,
    batchMaxRequests: parsed.GAVEL_ARBITER_BATCH_MAX_REQUESTS,
    batchMaxBytes: parsed.GAVEL_ARBITER_BATCH_MAX_BYTES,
    batchWindowMs: parsed.GAVEL_ARBITER_BATCH_WINDOW_S * 1000,
    cacheTtl: parsed.GAVEL_ARBITER_CACHE_TTL,
    maxResubmits: parsed.GAVEL_ARBITER_MAX_RESUBMITS,
    pollMs: parsed.GAVEL_ARBITER_POLL_S * 1000,
    minCacheTokens: parsed.GAVEL_ARBITER_MIN_CACHE_TOKENS,
    heartbeat: parsed.GAVEL_ARBITER_HEARTBEAT,
    maxTokens: parsed.GAVEL_ARBITER_MAX_TOKENS,
    timeoutMs: parsed.GAVEL_ARBITER_TIMEOUT_S * 1000,
    prices,
  };
}

/** Reads a price table file (`GAVEL_PRICES_FILE`); a `ConfigError` names the bad field. */
export function readPrices(path: string): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`GAVEL_PRICES_FILE=${path}: cannot read JSON (${(error as Error).message})`);
  }
  const result = PriceTable.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`GAVEL_PRICES_FILE=${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return result.data;
}
