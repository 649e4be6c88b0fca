import { createHash } from 'node:crypto';
import { GAVEL_VERSION, RunManifest } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { checkDataset } from './dataset-check.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function manifest(files: { path: string; sha256: string }[]): RunManifest {
  return RunManifest.parse({
    run_id: 'r',
    created_at: '2026-12-01T00:00:00Z',
    gavel_version: GAVEL_VERSION,
    // sha256 over each file's sha256 followed by a newline, in order (computed here by hand)
    dataset: {
      format: 'humaneval',
      files,
      sha256: sha(files.map((f) => `${f.sha256}\n`).join('')),
      samples: 2,
      skipped_invalid: 0,
    },
    rubrics: {},
    stages: { sandbox: {}, judge: {}, arbiter: {} },
  });
}

describe('the dataset files against the manifest', () => {
  const problems = { path: 'problems.jsonl', sha256: sha('p'), text: 'p' };
  const samples = { path: 'samples.jsonl', sha256: sha('s'), text: 's' };
  const pinned = manifest([
    { path: 'problems.jsonl', sha256: sha('p') },
    { path: 'samples.jsonl', sha256: sha('s') },
  ]);

  it('finds nothing for the same files in the same order', () => {
    expect(checkDataset(pinned, [problems, samples])).toEqual([]);
  });

  it('names the changed file and the dataset hash', () => {
    const changed = { path: 'samples.jsonl', sha256: sha('s2'), text: 's2' };
    expect(checkDataset(pinned, [problems, changed]).map((m) => [m.field, m.recorded, m.rederived])).toEqual([
      ['files[1] (samples.jsonl) sha256', sha('s'), sha('s2')],
      ['sha256', pinned.dataset.sha256, sha(`${sha('p')}\n${sha('s2')}\n`)],
    ]);
  });

  it('names a missing file', () => {
    expect(checkDataset(pinned, [problems]).map((m) => m.field)).toEqual(['files', 'sha256']);
  });
});
