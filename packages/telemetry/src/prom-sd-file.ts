import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface SdTarget {
  targets: string[];
  labels: Record<string, string>;
}

/** Pure: the file_sd list with `target` added (or removed when `add` is false). */
export function updateSdTargets(current: SdTarget[], entry: SdTarget, add: boolean): SdTarget[] {
  const key = entry.targets.join(',');
  const rest = current.filter((t) => t.targets.join(',') !== key);
  return add ? [...rest, entry] : rest;
}

async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || i > 200) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** Adds or removes one entry in a Prometheus file_sd JSON: under a lock file, written atomically (tmp + rename). */
export async function editSdFile(path: string, entry: SdTarget, add: boolean): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await withLock(`${path}.lock`, async () => {
    let current: SdTarget[] = [];
    try {
      current = JSON.parse(await readFile(path, 'utf8')) as SdTarget[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, `${JSON.stringify(updateSdTargets(current, entry, add), null, 2)}\n`);
    await rename(tmp, path);
  });
}
