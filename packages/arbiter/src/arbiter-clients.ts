import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ArbiterConfig } from './arbiter-config.ts';

/**
 * The API clients the configured arbiter needs (none for `none`). The base URL is the configured
 * one (GAVEL_ARBITER_URL, else the SDK's own ANTHROPIC_BASE_URL / OPENAI_BASE_URL, already folded
 * in by the config); left unset, each SDK keeps its own default.
 */
export function createArbiterClients(config: ArbiterConfig): { anthropic?: Anthropic; openai?: OpenAI } {
  switch (config.mode) {
    case 'anthropic-batch':
      return { anthropic: new Anthropic({ apiKey: config.apiKey() ?? null, baseURL: config.baseURL }) };
    case 'openai-compatible':
      return { openai: new OpenAI({ apiKey: config.apiKey() ?? 'none', baseURL: config.baseURL }) };
    case 'none':
      return {};
  }
}
