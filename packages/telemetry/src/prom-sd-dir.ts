import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';

/** One Prometheus file_sd target group. */
export interface SdTarget {
  targets: string[];
  labels: Record<string, string>;
}

/** Who registers: the file name says it, so a later process on the same host can tell a dead one's file. */
export interface SdOwner {
  job: string;
  hostname: string;
  pid: number;
}

const SAFE = /[^A-Za-z0-9_.-]/g;

/** Pure: the file a process registers in, `<job>@<host>@<pid>.json` (matched by a `*.json` file_sd glob). */
export function sdFileName(owner: SdOwner): string {
  return `${owner.job.replace(SAFE, '_')}@${owner.hostname.replace(SAFE, '_')}@${owner.pid}.json`;
}

/** Pure: the owner a registration file names, or undefined for any other file. */
export function parseSdFileName(name: string): SdOwner | undefined {
  const match = /^([^@]+)@([^@]+)@(\d+)\.json$/.exec(name);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { job: match[1], hostname: match[2], pid: Number(match[3]) };
}

/**
 * Pure: the files in `names` left by processes of this host that are no longer alive — their
 * registration, or the temp file of a write they did not finish.
 */
export function staleSdFiles(names: readonly string[], hostname: string, alive: (pid: number) => boolean): string[] {
  const host = hostname.replace(SAFE, '_');
  return names.filter((name) => {
    const tmp = /^\.(.+\.json)\.[0-9a-f-]+\.tmp$/.exec(name);
    const owner = parseSdFileName(tmp?.[1] ?? name);
    return owner !== undefined && owner.hostname === host && !alive(owner.pid);
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SdRegistration {
  /** The file this process wrote. */
  readonly path: string;
  /** Removes the file; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Registers one target group in a Prometheus file_sd directory (`files: ["<dir>/*.json"]`): one file
 * per process, written atomically (a dot-named temp file, then rename), so no process ever waits for
 * another and nothing can stay locked. Files this host's dead processes left (a SIGKILL, a crash) are
 * removed first; files of other hosts sharing the directory are left alone.
 */
export async function registerSdTarget(
  dir: string,
  entry: SdTarget,
  options: { hostname?: string; pid?: number; alive?: (pid: number) => boolean } = {},
): Promise<SdRegistration> {
  const owner: SdOwner = {
    job: entry.labels.job ?? 'gavel',
    hostname: options.hostname ?? osHostname(),
    pid: options.pid ?? process.pid,
  };
  await mkdir(dir, { recursive: true });
  const alive = options.alive ?? pidAlive;
  const stale = staleSdFiles(await readdir(dir), owner.hostname, (pid) => pid === owner.pid || alive(pid));
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
  const name = sdFileName(owner);
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${randomUUID()}.tmp`);
  await writeFile(tmp, `${JSON.stringify([entry], null, 2)}\n`);
  await rename(tmp, path);
  let removed: Promise<void> | undefined;
  return {
    path,
    remove() {
      removed ??= rm(path, { force: true });
      return removed;
    },
  };
}
