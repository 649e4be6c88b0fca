import { describe, expect, it } from 'vitest';
import type { LeaseRecord } from './lease.ts';
import { gateDecision } from './ollama-gate.ts';

const lease = (owner: LeaseRecord['owner'], phase: LeaseRecord['phase']): LeaseRecord => ({
  holder: 'agent',
  owner,
  phase,
  token: 7,
  grantedAt: 0,
});

describe('gateDecision', () => {
  it('refuses model-loading requests from the moment the card is being handed to vLLM until it is back', () => {
    for (const phase of ['handover', 'ready', 'draining'] as const) {
      for (const path of ['/api/chat', '/api/generate', '/api/embed', '/v1/chat/completions', '/v1/embeddings']) {
        expect(gateDecision('POST', path, lease('vllm', phase))).toBe('refuse');
      }
    }
  });

  it('passes requests that load nothing, and everything while Ollama owns the card or nobody does', () => {
    for (const path of ['/api/tags', '/api/ps', '/api/version', '/v1/models']) {
      expect(gateDecision('GET', path, lease('vllm', 'ready'))).toBe('pass');
    }
    expect(gateDecision('POST', '/api/show', lease('vllm', 'ready'))).toBe('pass');
    expect(gateDecision('POST', '/api/chat', lease('ollama', 'ready'))).toBe('pass');
    expect(gateDecision('POST', '/api/chat', undefined)).toBe('pass');
  });
});
