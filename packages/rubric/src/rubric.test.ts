import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@gavel/core';
import { describe, expect, it } from 'vitest';
import { assertRubricBytes, parseRubric, sha256Hex } from './rubric.ts';
import { createRubricCache } from './rubric-cache.ts';
import { loadRubric, loadRubricFile, parseRubricSpec } from './rubric-library.ts';

const LIBRARY = join(import.meta.dirname, '../../../rubrics');

async function libraryCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gavel-rubrics-'));
  await cp(LIBRARY, dir, { recursive: true });
  return dir;
}

describe('the rubric library', () => {
  it('loads the shipped default rubrics, pinned by the lock file', async () => {
    const text = await loadRubric(LIBRARY, 'text-answer');
    const code = await loadRubric(LIBRARY, 'code-correctness');
    const lock = JSON.parse(await readFile(join(LIBRARY, 'rubrics.lock.json'), 'utf8'));
    expect(text.ref.hash).toBe(lock['text-answer@1.0.0'].sha256);
    expect(text.ref.state).toBe('frozen');
    expect(text.ref.gate_report_sha256).toBe(
      sha256Hex(await readFile(join(LIBRARY, 'text-answer', '1.0.0.gates.json'), 'utf8')),
    );
    expect(code.version).toBe('1.1.0');
    expect(code.kind).toBe('code');
    expect(code.criteria.find((c) => c.id === 'integrity')?.safety).toBe(true);
    expect(text.text).toBe(await readFile(join(LIBRARY, 'text-answer', '1.0.0.md'), 'utf8'));
  });

  it('loads the pair rubric frozen through its gate report, and refuses its entry without one (no exemption)', async () => {
    const pair = await loadRubric(LIBRARY, 'pairwise-preference@1.0.0');
    expect(pair.ref).toMatchObject({
      state: 'frozen',
      gate_report_sha256: sha256Hex(await readFile(join(LIBRARY, 'pairwise-preference', '1.0.0.gates.json'), 'utf8')),
    });
    const dir = await libraryCopy();
    const lockFile = join(dir, 'rubrics.lock.json');
    const lock = JSON.parse(await readFile(lockFile, 'utf8'));
    lock['pairwise-preference@1.0.0'] = { sha256: lock['pairwise-preference@1.0.0'].sha256, frozen_at: '2026-12-01' };
    await writeFile(lockFile, JSON.stringify(lock));
    await expect(loadRubric(dir, 'pairwise-preference@1.0.0')).rejects.toThrow(
      /^rubric pairwise-preference@1\.0\.0: the lock entry records no gate report; the lock file is written only by `gavel rubric freeze/,
    );
  });

  it('refuses a frozen rubric whose bytes changed', async () => {
    const dir = await libraryCopy();
    const path = join(dir, 'text-answer', '1.0.0.md');
    await writeFile(path, `${await readFile(path, 'utf8')}\nOne more rule.\n`);
    await expect(loadRubric(dir, 'text-answer@1.0.0')).rejects.toThrow(
      /text-answer@1\.0\.0: content hash [0-9a-f]{12}… does not match the lock file .* bump its version/,
    );
  });

  it('refuses a hand-made lock entry without a gate report, saying how to freeze', async () => {
    // code-correctness@1.0.0 was pinned by hand before the gates existed (and fails the adversarial gate).
    await expect(loadRubric(LIBRARY, 'code-correctness@1.0.0')).rejects.toThrow(
      /^rubric code-correctness@1\.0\.0: the lock entry records no gate report; the lock file is written only by `gavel rubric freeze code-correctness@1\.0\.0 --calibration FILE`/,
    );
    const dir = await libraryCopy();
    const lockFile = join(dir, 'rubrics.lock.json');
    const lock = JSON.parse(await readFile(lockFile, 'utf8'));
    // A hand-edited entry for a new version: bytes hashed right, but no gate report.
    const draft = (await readFile(join(dir, 'text-answer', '1.0.0.md'), 'utf8')).replace(
      'version: 1.0.0',
      'version: 1.0.1',
    );
    await writeFile(join(dir, 'text-answer', '1.0.1.md'), draft);
    lock['text-answer@1.0.1'] = { sha256: sha256Hex(draft), frozen_at: '2026-12-01' };
    await writeFile(lockFile, JSON.stringify(lock));
    await expect(loadRubric(dir, 'text-answer')).rejects.toThrow(
      /text-answer@1\.0\.1: the lock entry records no gate report/,
    );
    // Pointing it at another version's report: the report names other bytes.
    const report = await readFile(join(dir, 'text-answer', '1.0.0.gates.json'), 'utf8');
    await writeFile(join(dir, 'text-answer', '1.0.1.gates.json'), report);
    lock['text-answer@1.0.1'].gate_report_sha256 = sha256Hex(report);
    await writeFile(lockFile, JSON.stringify(lock));
    await expect(loadRubric(dir, 'text-answer@1.0.1')).rejects.toThrow(
      /is the report of text-answer@1\.0\.0 .*not of these bytes/,
    );
    // An edited report no longer matches the hash the lock recorded.
    await writeFile(join(dir, 'text-answer', '1.0.0.gates.json'), report.replace('"passed": true', '"passed": true '));
    await expect(loadRubric(dir, 'text-answer@1.0.0')).rejects.toThrow(
      /1\.0\.0\.gates\.json hashes to [0-9a-f]{12}…, the lock entry records/,
    );
  });

  it('loads a draft from any path, marked draft', async () => {
    const dir = await libraryCopy();
    const path = join(dir, 'draft.md');
    await writeFile(
      path,
      (await readFile(join(dir, 'text-answer', '1.0.0.md'), 'utf8')).replace(
        'pass_threshold: 0.6',
        'pass_threshold: 0',
      ),
    );
    const draft = await loadRubricFile(path);
    expect(draft.ref).toMatchObject({ id: 'text-answer', version: '1.0.0', state: 'draft', gate_report_sha256: null });
    await expect(loadRubricFile(join(dir, 'missing.md'))).rejects.toThrow(
      /--rubric-file .*missing\.md: cannot read the file/,
    );
  });

  it('refuses a version that is not pinned', async () => {
    await expect(loadRubric(LIBRARY, 'text-answer@9.9.9')).rejects.toThrow(/not in .*rubrics\.lock\.json/);
    expect(() => parseRubricSpec('text-answer@latest')).toThrow(InputError);
  });

  it('validates the front matter and names the field', () => {
    const bad =
      '---\nid: x\nversion: 1.0.x\nkind: text\npass_threshold: 0.5\ncriteria: [{id: a, description: d, weight: 1}]\n---\nbody\n';
    expect(() => parseRubric(bad, 'x.md')).toThrow(/x\.md: version: must be a semver version/);
    expect(() => parseRubric('no front matter', 'y.md')).toThrow(/y\.md: a rubric starts with YAML front matter/);
  });

  it('asserts the exact bytes before a rubric is sent', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer');
    expect(() => assertRubricBytes(rubric.text, rubric.ref)).not.toThrow();
    expect(() => assertRubricBytes(`${rubric.text} `, rubric.ref)).toThrow(/does not match the pinned/);
  });

  it('workers read the published bytes and check them against the run pin', async () => {
    const rubric = await loadRubric(LIBRARY, 'text-answer');
    const published = new Map([[rubric.ref.hash, rubric.text]]);
    const cache = createRubricCache(async (ref) => published.get(ref.hash));
    expect((await cache.get(rubric.ref)).ref.hash).toBe(sha256Hex(rubric.text));
    published.set(rubric.ref.hash, `${rubric.text}tampered`);
    const other = createRubricCache(async (ref) => published.get(ref.hash));
    await expect(other.get(rubric.ref)).rejects.toThrow(/published bytes hash to/);
  });
});
