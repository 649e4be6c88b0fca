import { describe, expect, it } from 'vitest';
import { CUSTOM_ID_PATTERN, customIdFor, intentKeyFor } from './custom-id.ts';

describe('customIdFor', () => {
  it('is deterministic, valid for the API for any ids, and new for each attempt', () => {
    const long = `r${'x'.repeat(127)}`;
    const a = customIdFor(long, 'HumanEval_0.sample-1', 0);
    expect(a).toMatch(CUSTOM_ID_PATTERN);
    expect(customIdFor(long, 'HumanEval_0.sample-1', 0)).toBe(a);
    expect(customIdFor(long, 'HumanEval_0.sample-1', 1)).not.toBe(a);
    expect(customIdFor('run', 'a~b', 0)).not.toBe(customIdFor('run~a', 'b', 0));
  });
});

describe('intentKeyFor', () => {
  it('depends on the set of requests, not their order', () => {
    expect(intentKeyFor('r', ['a', 'b'])).toBe(intentKeyFor('r', ['b', 'a']));
    expect(intentKeyFor('r', ['a', 'b'])).not.toBe(intentKeyFor('r', ['a']));
  });
});
