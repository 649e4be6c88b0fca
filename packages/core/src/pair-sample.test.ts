import { describe, expect, it } from 'vitest';
import { formatDatasetError, parseNativeJsonl } from './dataset.ts';
import { sampleSystems } from './sample.ts';

const systems = { a: { model: 'base-7b', family: 'acme' }, b: { model: 'cand-8b', family: 'acme' } };

function parse(lines: unknown[]) {
  return parseNativeJsonl({ path: 'pairs.jsonl', sha256: '0', text: lines.map((l) => JSON.stringify(l)).join('\n') });
}

describe('pair samples in native JSONL', () => {
  it('parses a pair next to pointwise samples', () => {
    const parsed = parse([
      { id: 't', kind: 'text', prompt: 'p', output: 'o', sut: systems.a },
      { id: 'p', kind: 'pair', task_id: 'q1', prompt: 'p', outputs: { a: 'x', b: 'y' }, systems, reference: 'x' },
    ]);
    expect(parsed.errors).toEqual([]);
    const pair = parsed.samples[1];
    expect(pair?.kind).toBe('pair');
    expect(pair && sampleSystems(pair)).toEqual([systems.a, systems.b]);
  });

  it('names the file, line and field of a bad pair, and of an unknown kind', () => {
    const parsed = parse([
      { id: 'p1', kind: 'pair', prompt: 'p', outputs: { a: 'x' }, systems },
      { id: 'p2', kind: 'pair', prompt: 'p', outputs: { a: 'x', b: 'y' }, systems: { a: systems.a } },
      { id: 'p3', kind: 'pair', prompt: 'p', output: 'x', outputs: { a: 'x', b: 'y' }, systems },
      { id: 'p4', kind: 'duel', prompt: 'p', outputs: { a: 'x', b: 'y' }, systems },
    ]);
    expect(parsed.samples).toEqual([]);
    const lines = parsed.errors.map(formatDatasetError);
    expect(lines[0]).toMatch(/^pairs\.jsonl:1: outputs\.b: /);
    expect(lines[1]).toMatch(/^pairs\.jsonl:2: systems\.b: /);
    expect(lines[2]).toMatch(/^pairs\.jsonl:3: \(line\): .*output/);
    expect(lines[3]).toMatch(/^pairs\.jsonl:4: kind: /);
    expect(lines).toHaveLength(4);
  });
});
