import { createRequire } from 'node:module';
import type * as AnthropicSdk from '@anthropic-ai/sdk';
import type Anthropic from '@anthropic-ai/sdk';
import type * as OpenAiSdk from 'openai';
import type OpenAI from 'openai';
import type { ArbiterConfig } from './arbiter-config.ts';

// The SDKs take ~0.5 s each to load: only a process that talks to an arbiter pays for them (not
// `gavel status`, `report` or `export`, which reach this package through @gavel/runs).
// Resolved from this package's own place (its src/ or dist/ entry), where its dependencies are installed
// — not from this module's, which is a chunk of apps/<app>/bundle/ once bundled.
const load = createRequire(import.meta.resolve('@gavel/arbiter'));

/**
 * The API clients the configured arbiter needs (none for `none`). The base URL is the configured
 * one (GAVEL_ARBITER_URL, else the SDK's own ANTHROPIC_BASE_URL / OPENAI_BASE_URL, already folded
 * in by the config); left unset, each SDK keeps its own default.
 */
export function createArbiterClients(config: ArbiterConfig): { anthropic?: Anthropic; openai?: OpenAI } {
  switch (config.mode) {
    case 'anthropic-batch':
      return {
        anthropic: new (load('@anthropic-ai/sdk') as typeof AnthropicSdk).Anthropic({
          apiKey: config.apiKey() ?? null,
          baseURL: config.baseURL,
        }),
      };
    case 'openai-compatible':
      return {
        openai: new (load('openai') as typeof OpenAiSdk).OpenAI({
          apiKey: config.apiKey() ?? 'none',
          baseURL: config.baseURL,
        }),
      };
    case 'none':
      return {};
  }
}
