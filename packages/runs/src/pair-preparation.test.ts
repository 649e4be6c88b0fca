import { join } from 'node:path';
import { parseNativeJsonl } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { checkDataset, pinRubrics } from './run-preparation.ts';

const RUBRICS = join(import.meta.dirname, '../../../rubrics');

const pair = (id: string, familyA: string, familyB: string) =>
  JSON.stringify({
    id,
    kind: 'pair',
    prompt: 'p',
    outputs: { a: 'x', b: 'y' },
    systems: { a: { model: `${familyA}-7b`, family: familyA }, b: { model: `${familyB}-7b`, family: familyB } },
  });

describe('pair datasets at enqueue', () => {
  it('refuses a pair whose either system is of the judge family, naming the side', () => {
    const text = [pair('ok', 'acme', 'zeta'), pair('clash-b', 'acme', 'qwen'), pair('clash-a', 'qwen', 'acme')].join(
      '\n',
    );
    const check = checkDataset(parseNativeJsonl({ path: 'p.jsonl', sha256: 'x', text }), 'qwen');
    expect(check.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'systems.b.family'],
      [3, 'systems.a.family'],
    ]);
    expect(check.valid.map((s) => s.id)).toEqual(['ok']);
  });

  it('pins the shipped pairwise-preference@1.0.0 rubric for pairs by default', async () => {
    const parsed = parseNativeJsonl({ path: 'p.jsonl', sha256: 'x', text: pair('a', 'acme', 'zeta') });
    const pinned = await pinRubrics(parsed.samples, RUBRICS);
    const rubric = pinned.get('pair');
    expect(rubric?.ref).toMatchObject({ id: 'pairwise-preference', version: '1.0.0' });
    expect(rubric?.kind).toBe('pair');
    expect(rubric?.criteria.map((c) => c.id)).toEqual(['correctness', 'completeness', 'clarity', 'safety']);
  });
});
