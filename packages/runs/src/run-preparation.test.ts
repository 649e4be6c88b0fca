import { parseNativeJsonl } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { checkDataset, newRunId } from './run-preparation.ts';

const line = (id: string, family: string) =>
  JSON.stringify({ id, kind: 'text', prompt: 'p', output: 'o', sut: { model: `${family}-7b`, family } });

describe('checkDataset (what gavel enqueue and POST /v1/runs both refuse)', () => {
  it('adds judge-family clashes to the parse errors, sorted by line, and keeps only clean lines', () => {
    const text = [line('a', 'acme'), line('b', 'qwen'), 'not json', line('d', 'acme'), line('b', 'acme')].join('\n');
    const parsed = parseNativeJsonl({ path: 'f.jsonl', sha256: 'x', text });
    const check = checkDataset(parsed, 'Qwen');
    // line 2 clashes with the judge's family (case-insensitive), line 3 is not JSON, line 5 repeats id b
    expect(check.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'sut.family'],
      [3, '(line)'],
      [5, 'id'],
    ]);
    expect(check.invalidLines).toBe(3);
    expect(check.valid.map((s) => s.id)).toEqual(['a', 'd']);
  });

  it('finds no clash without an LLM judge', () => {
    const parsed = parseNativeJsonl({ path: 'f.jsonl', sha256: 'x', text: line('a', 'qwen') });
    expect(checkDataset(parsed, null)).toMatchObject({ errors: [], invalidLines: 0 });
  });

  it('names new runs run-YYYYMMDD-HHMMSS-<6 hex>', () => {
    expect(newRunId(new Date('2026-12-01T09:05:07.123Z'))).toMatch(/^run-20261201-090507-[0-9a-f]{6}$/);
  });
});
