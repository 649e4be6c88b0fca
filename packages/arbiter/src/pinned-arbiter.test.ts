import { describe, expect, it } from 'vitest';
import { loadArbiterConfig } from './arbiter-config.ts';
import { pinnedArbiterMismatch } from './pinned-arbiter.ts';

const worker = loadArbiterConfig({
  GAVEL_ARBITER: 'anthropic-batch',
  GAVEL_ARBITER_MODEL: 'claude-sonnet-4-6',
  ANTHROPIC_API_KEY: 'k',
});

describe('pinnedArbiterMismatch', () => {
  it('accepts the arbiter the run pinned and refuses another mode or model, naming the fix', () => {
    expect(
      pinnedArbiterMismatch({ mode: 'anthropic-batch', model: 'claude-sonnet-4-6', family: null }, worker),
    ).toBeUndefined();
    expect(pinnedArbiterMismatch({ mode: 'openai-compatible', model: 'x', family: null }, worker)).toMatch(
      /pinned GAVEL_ARBITER=openai-compatible/,
    );
    expect(pinnedArbiterMismatch({ mode: 'anthropic-batch', model: 'claude-opus-4-6', family: null }, worker)).toMatch(
      /GAVEL_ARBITER_MODEL=claude-opus-4-6/,
    );
  });
});
