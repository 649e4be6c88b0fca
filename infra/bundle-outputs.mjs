// What stays in an app's bundle directory after a build: this build's files and the previous build's.
// A process started before the build still loads chunks lazily, by their old hashed names (the CLI's
// commands: `gavel demo` runs several): deleting them at the build would fail that import in the
// running process. A build two builds old is gone (its processes are expected to have been restarted).
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The record of a build's own files in its bundle directory. */
export const OUTPUTS_FILE = 'outputs.json';

/** The file names the last build recorded in `outdir` (none before the first build). */
export function recordedOutputs(outdir) {
  const file = join(outdir, OUTPUTS_FILE);
  if (!existsSync(file)) return [];
  try {
    const names = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(names) ? names.filter((n) => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Records `current` (this build's file names in `outdir`) and removes every other file there but
 * `previous` (the build before's) and the records themselves. Returns the names removed.
 */
export function keepCurrentAndPrevious(outdir, current, previous, records = [OUTPUTS_FILE, 'metafile.json']) {
  const keep = new Set([...current, ...previous, ...records]);
  const removed = [];
  for (const name of readdirSync(outdir)) {
    if (keep.has(name)) continue;
    rmSync(join(outdir, name), { recursive: true, force: true });
    removed.push(name);
  }
  writeFileSync(join(outdir, OUTPUTS_FILE), JSON.stringify([...current].sort()));
  return removed.sort();
}
