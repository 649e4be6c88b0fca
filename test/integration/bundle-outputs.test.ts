import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepCurrentAndPrevious, recordedOutputs } from '../../infra/bundle-outputs.mjs';

// What infra/bundle-apps.mjs leaves in an app's bundle directory, build after build: a process started
// on the previous build still finds the chunks it has yet to load; older builds' files go.

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** One build: writes `files` (as esbuild would) and keeps them and the previous build's. */
async function build(outdir: string, files: string[]): Promise<string[]> {
  const previous = recordedOutputs(outdir);
  for (const f of files) await writeFile(join(outdir, f), f);
  await writeFile(join(outdir, 'metafile.json'), '{}');
  return keepCurrentAndPrevious(outdir, files, previous);
}

describe('the bundle directory across builds', () => {
  it("keeps this build's files and the previous build's, and removes the ones before", async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'gavel-bundle-'));
    dirs.push(outdir);
    // Left by a build before this scheme (no record): not this build's, so removed.
    await writeFile(join(outdir, 'chunk-STALE.js'), '');
    expect(await build(outdir, ['main.js', 'main.js.map', 'chunk-A.js'])).toEqual(['chunk-STALE.js']);
    expect(await build(outdir, ['main.js', 'main.js.map', 'chunk-B.js'])).toEqual([]);
    expect((await readdir(outdir)).sort()).toEqual([
      'chunk-A.js',
      'chunk-B.js',
      'main.js',
      'main.js.map',
      'metafile.json',
      'outputs.json',
    ]);
    // A third build: the first one's chunk goes, the second one's stays.
    expect(await build(outdir, ['main.js', 'main.js.map', 'chunk-C.js'])).toEqual(['chunk-A.js']);
    expect((await readdir(outdir)).filter((f) => f.startsWith('chunk-')).sort()).toEqual(['chunk-B.js', 'chunk-C.js']);
    expect(recordedOutputs(outdir)).toEqual(['chunk-C.js', 'main.js', 'main.js.map']);
  });

  it('reads a missing or unreadable record as no previous build', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'gavel-bundle-'));
    dirs.push(outdir);
    expect(recordedOutputs(outdir)).toEqual([]);
    await writeFile(join(outdir, 'outputs.json'), 'not json');
    expect(recordedOutputs(outdir)).toEqual([]);
  });
});
