import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMonitorLine } from '../support/redis-monitor.ts';
import { readRespCommand } from '../support/resp-command.ts';

/**
 * "Decided twice", measured: every write of a final verdict the server executed or refused.
 *
 * Two witnesses, because each misses something:
 * - `redis-cli MONITOR` (filtered to the run's verdicts hash) sees every HSETNX on it, also one a
 *   script ran and that wrote nothing because a verdict was already there (the refused second
 *   grading) — but not what the server executed just before a SIGKILL and had not yet streamed.
 * - the AOF holds every write the server executed and kept (a script's effects are logged as its
 *   commands; a refused HSETNX is not logged) — but not the last second before a SIGKILL.
 *
 * A decision is identified by the bytes of the verdict written (they carry `decided_at`, to the
 * millisecond): the same command sent again by the client after a reconnect is one decision, a
 * second grading is a second one. A sample with more than one distinct verdict written was decided
 * twice, whether or not the second write was refused.
 */
export interface VerdictWrites {
  /** Starts (again) watching the server: call after every start of redis-server. */
  attach(): void;
  /** Stops watching (before a SIGKILL, or at the end); what was streamed stays counted. */
  detach(): Promise<void>;
  /** Per sample, the distinct verdicts written to it (MONITOR ∪ AOF), by sha256 of their bytes. */
  decisions(): Map<string, Set<string>>;
  /** HSETNX commands seen by MONITOR (attempts, refused ones included). */
  attempts(): number;
}

/**
 * Arguments of a MONITOR line as redis-cli prints it (`1700000000.123456 [0 lua] "HSETNX" "key" …`),
 * unquoted and read as UTF-8; none for a line that is not a whole report (the log's last, half written).
 */
export function monitorArgs(line: string): string[] {
  try {
    return parseMonitorLine(line).args.map((arg) => Buffer.from(arg, 'latin1').toString('utf8'));
  } catch {
    return [];
  }
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Watches `verdictsKey` on the redis-server at `port` (whose data dir is `dir`); MONITOR lines go to `logFile`. */
export function watchVerdictWrites(port: number, dir: string, verdictsKey: string, logFile: string): VerdictWrites {
  writeFileSync(logFile, '');
  let monitor: ChildProcess | undefined;
  let filter: ChildProcess | undefined;
  const needle = `"${verdictsKey}"`;
  return {
    attach() {
      // redis-cli streams MONITOR; grep (C, line-buffered) keeps only the verdicts hash, so the test
      // process never parses the pipeline's whole traffic.
      monitor = spawn('redis-cli', ['-p', String(port), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
      filter = spawn('grep', ['--line-buffered', '-F', needle], { stdio: ['pipe', 'pipe', 'ignore'] });
      monitor.stdout?.pipe(filter.stdin as NodeJS.WritableStream);
      filter.stdout?.on('data', (c: Buffer) => appendFileSync(logFile, c));
    },
    async detach() {
      const m = monitor;
      const f = filter;
      monitor = undefined;
      filter = undefined;
      if (m && m.exitCode === null && m.signalCode === null) {
        const gone = new Promise((resolve) => m.once('exit', resolve));
        m.kill('SIGTERM');
        await gone;
      }
      if (f && f.exitCode === null && f.signalCode === null) {
        await new Promise((resolve) => f.once('exit', resolve));
      }
    },
    attempts() {
      return readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => monitorArgs(l)[0]?.toUpperCase() === 'HSETNX').length;
    },
    decisions() {
      const out = new Map<string, Set<string>>();
      const add = (id: string, value: string): void => {
        const set = out.get(id) ?? new Set<string>();
        set.add(digest(value));
        out.set(id, set);
      };
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        const argv = monitorArgs(line);
        if (argv[0]?.toUpperCase() !== 'HSETNX' || argv[1] !== verdictsKey || argv[2] === undefined) continue;
        add(argv[2], argv[3] ?? '');
      }
      for (const argv of aofCommands(dir)) {
        const name = argv[0]?.toUpperCase();
        if ((name === 'HSETNX' || name === 'HSET') && argv[1] === verdictsKey) {
          for (let i = 2; i + 1 < argv.length; i += 2) add(argv[i] as string, argv[i + 1] as string);
        }
      }
      return out;
    },
  };
}

/** Every command in the AOF's incremental files (RESP arrays), oldest first, as the server logged them. */
export function aofCommands(dir: string): string[][] {
  const aofDir = join(dir, 'appendonlydir');
  if (!existsSync(aofDir)) return [];
  const manifest = readdirSync(aofDir).find((f) => f.endsWith('.manifest'));
  if (!manifest) return [];
  const files = readFileSync(join(aofDir, manifest), 'utf8')
    .trim()
    .split('\n')
    .map((line) => /file (\S+) seq (\d+) type ([bhi])/.exec(line))
    // The incremental files hold every command since the (empty, never rewritten) base.
    .filter((m): m is RegExpExecArray => m !== null && m[3] === 'i')
    .sort((a, b) => Number(a[2]) - Number(b[2]))
    .map((m) => m[1] as string);
  const commands: string[][] = [];
  for (const file of files) {
    const data = readFileSync(join(aofDir, file));
    let at = 0;
    // A SIGKILL can leave a command half written at the end (redis-server truncates it on load).
    while (at < data.length && data[at] === 0x2a /* '*' */) {
      const command = readRespCommand(data, at);
      if (!command) break;
      commands.push(command.args);
      at = command.next;
    }
  }
  return commands;
}
