import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ArbiterConfig } from './arbiter-config.ts';

/** The API clients the configured arbiter needs (none for `none`). */
export function createArbiterClients(config: ArbiterConfig): { anthropic?: Anthropic; openai?: OpenAI } {
  switch (config.mode) {
    case 'anthropic-batch':
      return { anthropic: new Anthropic({ apiKey: config.apiKey() ?? null, baseURL: config.baseURL ?? null }) };
    case 'openai-compatible':
      return { openai: new OpenAI({ apiKey: config.apiKey() ?? 'none', baseURL: config.baseURL ?? null }) };
    case 'none':
      return {};
  }
}
